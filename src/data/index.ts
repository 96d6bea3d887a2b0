// Public surface of heed's training data: chat template, readers, builders, batching.
export * from './chat.ts';
export * from './dataset.ts';
export * from './messages.ts';
export * from './singleTask.ts';
export * from './pretrain.ts';
export * from './batch.ts';
export * from './encode.ts';
export { parseCsv, csvRecords, parsePyStringList } from './csv.ts';
export * from './templates.ts';
export { compileJinja, jinjaTemplate } from './jinja.ts';
export * as formats from './formats/index.ts';
export * as selfInstruct from './selfInstruct.ts';
export { GENERATE_MODES, generateInstructions, readGenerated } from './selfInstructRun.ts';
