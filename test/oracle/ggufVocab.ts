// A synthetic SentencePiece-style vocabulary that llama.cpp's "llama" (SPM) vocab loader accepts:
// <unk>, <s>, </s>, the 256 byte-fallback tokens <0x00>..<0xFF> (llama.cpp looks up <0x0A> for
// its linefeed token), then distinct "▁"-pieces with descending scores. Only the ids matter for
// the oracle test (prompts are token ids, not text), but the file must load.
import type { GGUFVocab } from '../../src/io/gguf.ts';

export const UNK = 0;
export const BOS = 1;
export const EOS = 2;
/** First byte token: <0xHH> is id BYTE0 + 0xHH. */
export const BYTE0 = 3;
/** Specials plus byte tokens: the smallest vocabulary this builder makes. */
export const MIN_VOCAB = BYTE0 + 256;

const TYPE_NORMAL = 1;
const TYPE_UNKNOWN = 2;
const TYPE_CONTROL = 3;
const TYPE_BYTE = 6;

const LETTERS = 'abcdefghijklmnopqrstuvwxyz';

/** The n-th word piece: "▁a".."▁z", then "a".."z", then "▁aa", "▁ab", …, "aa", … (all distinct). */
function piece(n: number): string {
  let len = 1;
  let block = 2 * LETTERS.length;
  while (n >= block) {
    n -= block;
    len++;
    block = 2 * LETTERS.length ** len;
  }
  const half = block / 2;
  const prefix = n < half ? '▁' : '';
  let k = n % half;
  let s = '';
  for (let i = 0; i < len; i++) {
    s = LETTERS[k % LETTERS.length]! + s;
    k = Math.floor(k / LETTERS.length);
  }
  return prefix + s;
}

export function syntheticVocab(size: number): GGUFVocab {
  if (!Number.isInteger(size) || size < MIN_VOCAB) throw new Error(`syntheticVocab: size ${size} must be an integer >= ${MIN_VOCAB}`);
  const tokens: string[] = ['<unk>', '<s>', '</s>'];
  const types: number[] = [TYPE_UNKNOWN, TYPE_CONTROL, TYPE_CONTROL];
  const scores: number[] = [0, 0, 0];
  for (let b = 0; b < 256; b++) {
    tokens.push(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TYPE_BYTE);
    scores.push(0);
  }
  for (let i = 0; tokens.length < size; i++) {
    tokens.push(piece(i));
    types.push(TYPE_NORMAL);
    scores.push(-(i + 1));
  }
  return { tokens, scores, types, bos: BOS, eos: EOS };
}
