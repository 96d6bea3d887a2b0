// Loading a model and its tokenizer from whatever format a path holds. Every error leaving this
// module names the file it is about; a tokenizer that does not fit the model is refused.
import { statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import type { Backend } from '../backend/backend.ts';
import { namingErrors, pathExists, readJsonFile, rethrowFs } from '../io/files.ts';
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
  /** Where the tokenizer came from (the GGUF file, or the HF directory's tokenizer.json). */
  tokenizerSource?: string;
}

function isDirectory(path: string, what: string): boolean {
  if (!pathExists(path)) throw new Error(`${what} not found: ${path}`);
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    return rethrowFs(e, path, `read the ${what}`);
  }
}

/** Reads a llama2.c `.bin`, a GGUF file, or an HF directory (config.json + safetensors). */
export function readCheckpoint(path: string): Checkpoint {
  if (isDirectory(path, 'model')) {
    // config.json is checked to be a readable JSON file here, so its errors read as messages
    readJsonFile(join(path, 'config.json'), 'model config');
    const { config, weights } = namingErrors(path, () => loadHF(path));
    const tj = join(path, 'tokenizer.json');
    if (!pathExists(tj)) return { config, weights, format: 'hf' };
    return { config, weights, format: 'hf', tokenizer: readHFTokenizer(tj), tokenizerSource: tj };
  }
  if (path.endsWith('.gguf')) {
    const g = readGGUF(path);
    const tokenizer = namingErrors(path, () => SentencePieceBPE.fromVocabulary(g.vocab));
    return { config: g.config, weights: g.weights, format: 'gguf', tokenizer, tokenizerSource: path };
  }
  if (basename(path) === 'config.json') return readCheckpoint(dirname(path));
  const { config, weights } = namingErrors(path, () => readLlama2c(path));
  return { config, weights, format: 'llama2c' };
}

/** tokenizer.bin (llama2.c) or tokenizer.json (HF), chosen by the file's name. */
export function readTokenizer(path: string): Tokenizer {
  if (isDirectory(path, 'tokenizer'))
    throw new Error(`${path}: is a directory, expected a tokenizer file (tokenizer.bin or tokenizer.json)`);
  return namingErrors(path, () => (path.endsWith('.json') ? readHFTokenizer(path) : loadLlama2cTokenizer(path)));
}

/** Refuses a tokenizer whose vocabulary differs in size from the model's, naming both sources. */
export function checkTokenizerFits(tok: Tokenizer, tokSource: string, config: LlamaConfig, modelSource: string): void {
  if (tok.vocabSize !== config.vocabSize)
    throw new Error(
      `${tokSource}: the tokenizer has ${tok.vocabSize} tokens but the model ${modelSource} has a vocabulary of ${config.vocabSize}`,
    );
  for (const [name, id] of [
    ['BOS', tok.bos],
    ['EOS', tok.eos],
  ] as const)
    if (id >= config.vocabSize) throw new Error(`${tokSource}: ${name} id ${id} is outside the model's vocabulary of ${config.vocabSize}`);
}

export interface Pretrained {
  ckpt: Checkpoint;
  /** The tokenizer asked for, else the one the checkpoint carries (absent if neither). */
  tokenizer?: Tokenizer;
  tokenizerSource?: string;
}

/** A checkpoint and its tokenizer (`tokenizerPath`, else the one it carries), checked to fit each other. */
export function loadPretrained(modelPath: string, tokenizerPath?: string): Pretrained {
  const ckpt = readCheckpoint(modelPath);
  const tokenizer = tokenizerPath !== undefined ? readTokenizer(tokenizerPath) : ckpt.tokenizer;
  const tokenizerSource = tokenizerPath ?? ckpt.tokenizerSource;
  if (!tokenizer || tokenizerSource === undefined) return { ckpt };
  checkTokenizerFits(tokenizer, tokenizerSource, ckpt.config, modelPath);
  return { ckpt, tokenizer, tokenizerSource };
}

/** A checkpoint built on `backend` with its tokenizer (the one beside or inside it, or
 *  `tokenizerPath`), checked to fit; refuses a checkpoint that carries none when none is given. */
export function openPretrained(
  modelPath: string,
  tokenizerPath: string | undefined,
  backend: Backend,
): { model: Llama; tokenizer: Tokenizer; tokenizerSource: string; ckpt: Checkpoint } {
  const { ckpt, tokenizer, tokenizerSource } = loadPretrained(modelPath, tokenizerPath);
  if (!tokenizer || tokenizerSource === undefined)
    throw new Error(`${modelPath}: a ${ckpt.format} checkpoint carries no tokenizer; give one (--tokenizer PATH)`);
  return { model: buildModel(ckpt, backend), tokenizer, tokenizerSource, ckpt };
}

export function buildModel(ckpt: Pick<Checkpoint, 'config' | 'weights'>, backend: Backend): Llama {
  const model = new Llama(ckpt.config, backend);
  model.loadState(ckpt.weights);
  return model;
}
