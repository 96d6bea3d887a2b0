// Public surface of heed's trainer.
export * from './trainer.ts';
export * from './schedule.ts';
export * from './optimizer.ts';
export * from './step.ts';
export * from './checkpoint.ts';
export * from './progress.ts';
export * from './svg.ts';
