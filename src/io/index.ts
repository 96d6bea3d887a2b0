// Checkpoint formats: llama2.c, safetensors, HF config, GGUF.
export * from './weights.ts';
export * from './llama2c.ts';
export * from './safetensors.ts';
export * from './hfconfig.ts';
export * from './gguf.ts';
