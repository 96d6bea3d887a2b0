// Training examples for `heed train` and the study: packed pretraining sequences, encoded chat
// rows, the held-out split, and the tokenizer files a trained model carries. Two lengths are
// named apart here because they differ by one:
//   context    tokens the model reads per packed pretraining sequence (its example holds
//              context + 1 tokens: every input predicts the next);
//   rowTokens  tokens of a chat row in all, inputs and the last target together.
// A model whose context is C takes chat rows of up to C + 1 tokens and packed sequences of C.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../core/random.ts';
import type { Example } from '../data/batch.ts';
import type { Dataset } from '../data/dataset.ts';
import { encodeDataset, type EncodedDataset } from '../data/encode.ts';
import { packDocuments, type Packed } from '../data/pretrain.ts';
import { readInputText } from '../io/open.ts';
import type { ChatTemplate } from '../data/templates.ts';
import { toHFTokenizerJSON } from '../tokenizer/hf.ts';
import { SentencePieceBPE } from '../tokenizer/sentencepiece.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import { dataPath } from '../util/dataRoot.ts';
import type { TokenizerFiles } from './checkpoint.ts';

/** Chat-row tokens for a model of context `modelContext`: the request, at most context + 1. */
export const rowTokensFor = (requested: number, modelContext: number): number => Math.min(requested, modelContext + 1);

/** pretrain-mix's training shards, in order. */
export function pretrainShards(): string[] {
  const dir = dataPath('pretrain-mix');
  return readdirSync(dir)
    .filter((f) => /^pretrain-mix-\d+\.jsonl\.gz$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Packed pretraining sequences of `context` input tokens (+1 target) each. */
export function pretrainExamples(
  docs: readonly string[],
  tok: Tokenizer,
  context: number,
  onProgress?: (docs: number, chars: number, totalChars: number) => void,
): Packed {
  return packDocuments(docs, tok, context, onProgress);
}

/** Chat rows encoded under a template (default tulu), each cut at `rowTokens` tokens. */
export function chatExamples(
  d: Dataset,
  tok: Tokenizer,
  opts: { rowTokens: number; perTurn?: boolean; template?: ChatTemplate },
): EncodedDataset {
  return encodeDataset(d, tok, {
    maxLen: opts.rowTokens,
    ...(opts.perTurn ? { perTurn: true } : {}),
    ...(opts.template ? { template: opts.template } : {}),
  });
}

/** Takes `n` rows out (seeded) for the held-out loss. */
export function splitHeldout<T>(rows: readonly T[], n: number, seed: number): { train: T[]; heldout: T[] } {
  if (n >= rows.length) throw new Error(`--heldout ${n} would leave no training rows (the data has ${rows.length})`);
  const idx = rows.map((_, i) => i);
  const rng = new Rng(seed ^ 0x5bd1e995);
  for (let i = idx.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [idx[i], idx[j]] = [idx[j]!, idx[i]!];
  }
  const held = new Set(idx.slice(0, n));
  return { train: rows.filter((_, i) => !held.has(i)), heldout: rows.filter((_, i) => held.has(i)) };
}

/** What a trained model directory needs of its tokenizer: tokenizer.json's text (the file it was
 *  read from, or heed's own BPE serialised) and the BOS/EOS pieces; undefined when there is none
 *  to write (a llama2.c tokenizer.bin). */
export function tokenizerFiles(tok: Tokenizer, source?: string): TokenizerFiles | undefined {
  const bos = tok.idToPiece(tok.bos);
  const eos = tok.idToPiece(tok.eos);
  if (source?.endsWith('.json')) return { 'tokenizer.json': readInputText(source, 'tokenizer'), bos, eos };
  if (tok instanceof SentencePieceBPE) return { 'tokenizer.json': JSON.stringify(toHFTokenizerJSON(tok)), bos, eos };
  return undefined;
}

export type { Example };
