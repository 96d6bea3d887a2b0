// Loading a model and its tokenizer from whatever format a path holds.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import { readGGUF } from '../io/gguf.ts';
import { loadHF } from '../io/hfconfig.ts';
import { readLlama2c } from '../io/llama2c.ts';
import type { NamedTensors } from '../io/weights.ts';
import { readHFTokenizer } from '../tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../tokenizer/llama2c.ts';
import { SentencePieceBPE } from '../tokenizer/sentencepiece.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { LlamaConfig } from '../nn/config.ts';
import { Llama } from '../nn/llama.ts';

export interface Checkpoint {
  config: LlamaConfig;
  weights: NamedTensors;
  format: 'llama2c' | 'hf' | 'gguf';
  /** A tokenizer carried inside the checkpoint (GGUF) or beside it (HF tokenizer.json). */
  tokenizer?: Tokenizer;
}

/** Reads a llama2.c `.bin`, a GGUF file, or an HF directory (config.json + safetensors). */
export function readCheckpoint(path: string): Checkpoint {
  if (!existsSync(path)) throw new Error(`model not found: ${path}`);
  if (statSync(path).isDirectory()) {
    const { config, weights } = loadHF(path);
    const tj = join(path, 'tokenizer.json');
    return { config, weights, format: 'hf', ...(existsSync(tj) ? { tokenizer: readHFTokenizer(tj) } : {}) };
  }
  if (path.endsWith('.gguf')) {
    const g = readGGUF(path);
    return { config: g.config, weights: g.weights, format: 'gguf', tokenizer: SentencePieceBPE.fromVocabulary(g.vocab) };
  }
  if (basename(path) === 'config.json') return readCheckpoint(dirname(path));
  const { config, weights } = readLlama2c(path);
  return { config, weights, format: 'llama2c' };
}

/** tokenizer.bin (llama2.c) or tokenizer.json (HF), chosen by the file's name. */
export function readTokenizer(path: string): Tokenizer {
  if (!existsSync(path)) throw new Error(`tokenizer not found: ${path}`);
  return path.endsWith('.json') ? readHFTokenizer(path) : loadLlama2cTokenizer(path);
}

export function buildModel(ckpt: Pick<Checkpoint, 'config' | 'weights'>, backend: Backend): Llama {
  const model = new Llama(ckpt.config, backend);
  model.loadState(ckpt.weights);
  return model;
}
