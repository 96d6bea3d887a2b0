// Pretraining corpora: gzip JSONL documents with a `text` field (pretrain-mix/*.jsonl.gz), or plain
// text, packed into fixed-length sequences.
//
// Packing: documents are tokenized as BOS + text + EOS and concatenated into one stream, cut into
// windows of seqLen + 1 tokens that overlap by one (each token is a target exactly once). The
// loss is taken on every position, across document joins too (the token after an EOS is the next
// BOS; attention spans the join; no block-diagonal mask), as llama2.c and nanoGPT pack. A final
// window shorter than seqLen + 1 is dropped and counted.
import { gunzipSync } from 'node:zlib';
import { decodeText, readInputBytes } from '../io/open.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { Example } from './batch.ts';
import { type Skipped, eachJsonLine, newSkipped, skip } from './dataset.ts';

export interface Corpus {
  source: string;
  docs: string[];
  skipped: Skipped;
}

/** Documents of one or more `.jsonl.gz` / `.jsonl` files (a `text` field) or plain `.txt` files (one document). */
export function readCorpus(paths: readonly string[], opts: { maxDocs?: number } = {}): Corpus {
  const docs: string[] = [];
  const skipped = newSkipped();
  const max = opts.maxDocs ?? Infinity;
  for (const path of paths) {
    if (docs.length >= max) break;
    const raw = readInputBytes(path, 'data file');
    let bytes: Uint8Array = raw;
    if (path.endsWith('.gz')) {
      try {
        bytes = gunzipSync(raw);
      } catch (e) {
        throw new Error(`${path}: not a valid gzip file (${e instanceof Error ? e.message.replace(/^.*?: /, '') : String(e)})`);
      }
    }
    const text = decodeText(bytes, path);
    if (!/\.jsonl(\.gz)?$/.test(path)) {
      if (text.trim() === '') throw new Error(`${path}: the text file is empty (nothing to train on)`);
      docs.push(text);
      continue;
    }
    const before = docs.length;
    const skippedBefore = skipped.count;
    eachJsonLine(text, path, skipped, (row, where) => {
      const t = (row as { text?: unknown } | null)?.text;
      if (typeof t !== 'string' || t.trim() === '') skip(skipped, where, 'no non-empty "text" field');
      else docs.push(t);
      return docs.length < max;
    });
    if (docs.length === before && docs.length < max) {
      const n = skipped.count - skippedBefore;
      throw new Error(
        `${path}: holds no documents${n ? ` (none of its ${n} lines has a non-empty "text" field; e.g. ${skipped.examples.at(-1)})` : ' (the file is empty)'}; expected JSON lines {"text": ...}`,
      );
    }
  }
  return { source: paths.join(', '), docs, skipped };
}

export interface Packed {
  examples: Example[];
  tokens: number;
  /** Tokens of the final partial window, not trained on. */
  droppedTail: number;
}

/** Packs documents (BOS text EOS, back to back) into sequences the model reads `context` tokens
 *  of: each example holds context + 1 tokens, the last one only a target (a chat row's length, by
 *  contrast, counts all its tokens: see src/train/examples.ts). `onProgress(docsDone, charsDone,
 *  charsTotal)` is called after each document (tokenizing a large corpus takes minutes). */
export function packDocuments(
  docs: readonly string[],
  tok: Tokenizer,
  context: number,
  onProgress?: (docs: number, chars: number, totalChars: number) => void,
): Packed {
  const seqLen = context;
  if (!Number.isInteger(seqLen) || seqLen < 1) throw new Error(`packDocuments: context must be a positive integer, got ${seqLen}`);
  const stream: number[] = [];
  const totalChars = onProgress ? docs.reduce((s, d) => s + d.length, 0) : 0;
  let chars = 0;
  docs.forEach((d, i) => {
    for (const id of tok.encode(d, { bos: true, eos: true })) stream.push(id);
    chars += d.length;
    onProgress?.(i + 1, chars, totalChars);
  });
  const examples: Example[] = [];
  let start = 0;
  for (; start + seqLen + 1 <= stream.length; start += seqLen) {
    const ids = stream.slice(start, start + seqLen + 1);
    examples.push({ ids, labels: ids });
  }
  return { examples, tokens: stream.length, droppedTail: examples.length === 0 ? stream.length : stream.length - start - 1 };
}
