// Checkpoint formats: llama2.c, safetensors, HF config, GGUF; and the file/JSON helpers they share.
export * from './weights.ts';
export * from './llama2c.ts';
export * from './safetensors.ts';
export * from './hfconfig.ts';
export * from './gguf.ts';
// Shared by every reader of outside input: file access with messages in words, atomic writes,
// typed JSON field readers (see "Bad input" in docs/ARCHITECTURE.md).
export * from './files.ts';
export * from './jsonFields.ts';
export { eachJsonLine, jsonlText, readJsonl, writeJsonAtomic, writeTextFileAtomic } from './json.ts';
