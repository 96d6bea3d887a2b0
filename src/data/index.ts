// Public surface of heed's training data: chat template, readers, builders, batching.
export * from './chat.ts';
export * from './dataset.ts';
export * from './messages.ts';
export * from './singleTask.ts';
export * from './pretrain.ts';
export * from './batch.ts';
export * from './encode.ts';
export { parseCsv, csvRecords, parsePyStringList } from './csv.ts';
