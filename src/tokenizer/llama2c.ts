// llama2.c tokenizer.bin: int32 max_token_length, then per token float32 score, int32 byte
// length, bytes. Spaces are stored as ' ', BOS/EOS as "\n<s>\n" / "\n</s>\n", byte fallback as
// "<0xHH>" strings. The file has no merge list, so the model merges by score like run.c.
import { readFileBytes } from '../io/files.ts';
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

export function parseLlama2cTokenizer(data: Uint8Array, opts: Llama2cLoadOptions = {}, file = 'tokenizer.bin'): SentencePieceBPE {
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  if (data.length < 4) fail(`not a llama2.c tokenizer: ${data.length} bytes is shorter than the 4-byte max_token_length`);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const specials = opts.specials ? new Set(opts.specials) : undefined;
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  let bos = -1;
  let eos = -1;
  let unk = -1;
  // run.c sizes its piece buffer by max_token_length, so a longer piece would overflow it there
  const maxLen = view.getInt32(0, true);
  if (maxLen <= 0) fail(`max_token_length is ${maxLen}, must be positive`);
  let longest = 0;
  let o = 4;
  while (o < data.length) {
    const id = pieces.length;
    if (o + 8 > data.length) fail(`truncated: token ${id} at byte ${o} needs an 8-byte score and length, only ${data.length - o} left`);
    const score = view.getFloat32(o, true);
    const len = view.getInt32(o + 4, true);
    o += 8;
    if (len < 0 || o + len > data.length)
      fail(
        `token ${id}: piece length ${len} at byte ${o - 4} ${len < 0 ? 'is negative' : `runs past the end of the file (${data.length} bytes)`}`,
      );
    if (!Number.isFinite(score)) fail(`token ${id}: score is ${score}`);
    longest = Math.max(longest, len);
    const raw = data.subarray(o, o + len);
    o += len;
    let piece: string;
    let type: number = TokenType.normal;
    try {
      piece = strict.decode(raw);
    } catch {
      // older exports store byte-fallback tokens as the raw byte itself
      if (raw.length !== 1) fail(`token ${id} is not valid UTF-8`);
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
  if (longest > maxLen) fail(`max_token_length is ${maxLen} but a piece is ${longest} bytes long`);
  if (bos < 0 || eos < 0) fail(`no ${bos < 0 ? 'BOS ("\\n<s>\\n")' : 'EOS ("\\n</s>\\n")'} piece among the ${pieces.length} tokens`);
  return new SentencePieceBPE({
    pieces,
    scores,
    types,
    bos,
    eos,
    unk, // -1 when the file has no <unk> piece: unknown text then needs byte fallback
    // run.c knows no special tokens; 'every' agrees with it on plain text and with llama.cpp on the rest
    dummyPrefix: 'every',
  });
}

export function loadLlama2cTokenizer(path: string, opts: Llama2cLoadOptions = {}): SentencePieceBPE {
  return parseLlama2cTokenizer(readFileBytes(path, 'tokenizer'), opts, path);
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
