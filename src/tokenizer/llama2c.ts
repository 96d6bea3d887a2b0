// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32 byte
// length, bytes. Spaces are stored as ' ', BOS/EOS as "\n<s>\n" / "\n</s>\n", byte fallback as
// "<0xHH>" strings. The file has no merge list, so the model merges by score like run.c.
import { readFileSync } from 'node:fs';
import { TokenType } from './tokenizer.ts';
import { SentencePieceBPE } from './sentencepiece.ts';
import { bytePiece, parseBytePiece, utf8 } from './bytes.ts';

const BOS_PIECE = '\n<s>\n';
const EOS_PIECE = '\n</s>\n';

export interface Llama2cLoadOptions {
  /**
   * Pieces to treat as control tokens (matched whole by encode). By default pieces shaped like
   * `<|name|>` are, since the file itself stores no token types.
   */
  specials?: string[];
}

export function parseLlama2cTokenizer(data: Uint8Array, opts: Llama2cLoadOptions = {}): SentencePieceBPE {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const specials = opts.specials ? new Set(opts.specials) : undefined;
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let bos = -1;
  let eos = -1;
  let unk = -1;
  let o = 4; // skip max_token_length: it is derived from the pieces
  while (o < data.length) {
    if (o + 8 > data.length) throw new Error(`tokenizer.bin truncated at byte ${o}`);
    const score = view.getFloat32(o, true);
    const len = view.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || o + len > data.length) throw new Error(`tokenizer.bin: bad piece length ${len} at byte ${o - 4}`);
    const raw = data.subarray(o, o + len);
    o += len;
    const id = pieces.length;
    let piece: string;
    let type: number = TokenType.normal;
    try {
      piece = strict.decode(raw);
    } catch {
      // older exports store byte-fallback tokens as the raw byte itself
      if (raw.length !== 1) throw new Error(`tokenizer.bin: token ${id} is not valid UTF-8`);
      piece = bytePiece(raw[0]!);
    }
    if (piece === BOS_PIECE) {
      piece = '<s>';
      type = TokenType.control;
      bos = id;
    } else if (piece === EOS_PIECE) {
      piece = '</s>';
      type = TokenType.control;
      eos = id;
    } else if (piece === '<unk>') {
      type = TokenType.unknown;
      unk = id;
    } else if (parseBytePiece(piece) >= 0) {
      type = TokenType.byte;
    } else if (specials ? specials.has(piece) : /^<\|[^|\s]+\|>$/.test(piece)) {
      type = TokenType.control;
    }
    pieces.push(piece);
    scores.push(score);
    types.push(type);
  }
  return new SentencePieceBPE({
    pieces,
    scores,
    types,
    bos: bos >= 0 ? bos : 1,
    eos: eos >= 0 ? eos : 2,
    unk: unk >= 0 ? unk : 0,
    // run.c knows no special tokens; 'every' agrees with it on plain text and with llama.cpp on the rest
    dummyPrefix: 'every',
  });
}

export function loadLlama2cTokenizer(path: string, opts: Llama2cLoadOptions = {}): SentencePieceBPE {
  return parseLlama2cTokenizer(readFileSync(path), opts);
}

/** Serialise in llama2.c's format (the inverse of parseLlama2cTokenizer). */
export function writeLlama2cTokenizer(tok: SentencePieceBPE): Uint8Array {
  const raws = tok.pieces.map((p, id) => utf8(id === tok.bos ? BOS_PIECE : id === tok.eos ? EOS_PIECE : p));
  let size = 4;
  let maxLen = 0;
  for (const r of raws) {
    size += 8 + r.length;
    maxLen = Math.max(maxLen, r.length);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setInt32(0, maxLen, true);
  let o = 4;
  raws.forEach((r, id) => {
    view.setFloat32(o, tok.scores[id]!, true);
    view.setInt32(o + 4, r.length, true);
    out.set(r, o + 8);
    o += 8 + r.length;
  });
  return out;
}
