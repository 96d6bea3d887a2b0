// SentencePiece-style BPE with byte fallback (the Llama-2 kind).
// Pieces are kept in surface form: a space is ' ' (not U+2581) and control tokens hold their
// content ('<s>'), so the llama2.c and HF loaders only differ in how they fill this model.
import { NO_PREV, TokenType } from './tokenizer.ts';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.ts';
import { SpecialSplitter } from './special.ts';
import type { AddedToken } from './special.ts';
import { mergeSymbols, packMerge, pairKey } from './bpeMerge.ts';
import type { MergeTable } from './bpeMerge.ts';
import { bytePiece, concatBytes, fromUtf8, parseBytePiece, utf8 } from './bytes.ts';

export const METASPACE = '\u2581';

/**
 * Where the dummy-prefix space goes: 'every' at the start of every run of text, i.e. at the start
 * and after each special token (HF's legacy Prepend normaliser, llama.cpp; the same as llama2.c on
 * text without special tokens); 'first' at the start and after BOS only (HF Metaspace with
 * prepend_scheme "first"); 'none' never.
 */
export type DummyPrefix = 'first' | 'every' | 'none';

export interface SentencePieceOptions {
  /** Surface pieces: ' ' for spaces, control tokens by content. */
  pieces: string[];
  scores: ArrayLike<number>;
  types: ArrayLike<number>;
  bos: number;
  eos: number;
  unk: number;
  /** HF merge list in rank order (surface pieces). Absent: merge by score, as SentencePiece and llama2.c do. */
  merges?: Array<[string, string]>;
  dummyPrefix: DummyPrefix;
  /** Read U+2581 in the input as a space (the HF normalisers do; llama2.c does not). */
  metaspaceInput?: boolean;
  /** Tokens encode() matches atomically. Default: every control, user-defined and unknown piece. */
  special?: AddedToken[];
}

/** A vocabulary as GGUF stores it (tokenizer.ggml.model "llama"). */
export interface Vocabulary {
  /** SentencePiece spelling (U+2581 for spaces), as tokenizer.ggml.tokens wants. */
  tokens: string[];
  scores: number[];
  /** TokenType codes: 1 normal, 2 unknown, 3 control, 4 user-defined, 6 byte. */
  types: number[];
  bos: number;
  eos: number;
}

const SPACE = 0x20;
/** `prev` marker in encode() for "the previous section was ordinary text". */
const TEXT_RUN = -2;
const WORD_CACHE_LIMIT = 100_000;

export class SentencePieceBPE implements Tokenizer {
  readonly pieces: string[];
  /** Grow (with `pieces`) only through registerSpecial. */
  scores: Float32Array;
  types: Uint8Array;
  readonly bos: number;
  readonly eos: number;
  readonly unk: number;
  readonly merges: Array<[string, string]> | undefined;
  readonly dummyPrefix: DummyPrefix;
  readonly metaspaceInput: boolean;

  private readonly normalIds = new Map<string, number>();
  private readonly allIds = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  private readonly table: MergeTable = new Map();
  private readonly splitter: SpecialSplitter;
  private readonly specialIds = new Set<number>();
  private tokenBytes: Uint8Array[] = [];
  /** Safe to BPE each space-led word alone: no piece spans "x " (a non-space then a space). */
  private readonly splitWords: boolean;
  private readonly cache = new Map<string, number[]>();

  constructor(o: SentencePieceOptions) {
    const n = o.pieces.length;
    if (o.scores.length !== n || o.types.length !== n) throw new Error('pieces/scores/types length mismatch');
    this.pieces = o.pieces.slice();
    this.scores = Float32Array.from(o.scores);
    this.types = Uint8Array.from(o.types);
    this.bos = o.bos;
    this.eos = o.eos;
    this.unk = o.unk;
    this.merges = o.merges?.map(([a, b]) => [a, b]);
    this.dummyPrefix = o.dummyPrefix;
    this.metaspaceInput = o.metaspaceInput ?? false;

    let splitWords = true;
    for (let id = 0; id < n; id++) {
      const p = this.pieces[id]!;
      const t = this.types[id]!;
      if (!this.allIds.has(p)) this.allIds.set(p, id);
      if (t === TokenType.normal) {
        if (!this.normalIds.has(p)) this.normalIds.set(p, id);
        if (/[^ ] /.test(p)) splitWords = false;
      } else if (t === TokenType.byte) {
        const b = parseBytePiece(p);
        if (b < 0) throw new Error(`byte token ${id} has piece ${JSON.stringify(p)}`);
        if (this.byteIds[b]! < 0) this.byteIds[b] = id;
      }
    }
    this.splitWords = splitWords;
    this.splitter = new SpecialSplitter(o.special ?? this.defaultSpecials());
    for (const t of this.splitter.entries()) this.specialIds.add(t.id);
    for (const id of [this.bos, this.eos]) if (id >= 0) this.specialIds.add(id);
    if (this.merges) this.buildRankTable(this.merges);
    else this.buildScoreTable();
    this.rebuildBytes();
  }

  get vocabSize(): number {
    return this.pieces.length;
  }

  private defaultSpecials(): AddedToken[] {
    const out: AddedToken[] = [];
    this.types.forEach((t, id) => {
      if (t === TokenType.control || t === TokenType.userDefined || t === TokenType.unknown) {
        if (this.pieces[id]!.length > 0) out.push({ id, content: this.pieces[id]! });
      }
    });
    return out;
  }

  /** Merge by rank: pair (a, b) of the HF list at index r merges with priority r. */
  private buildRankTable(merges: Array<[string, string]>): void {
    merges.forEach(([a, b], rank) => {
      const ia = this.normalIds.get(a);
      const ib = this.normalIds.get(b);
      const im = this.normalIds.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) return;
      const k = pairKey(ia, ib);
      if (!this.table.has(k)) this.table.set(k, packMerge(rank, im));
    });
  }

  /**
   * Merge by score: any two pieces whose concatenation is a piece may merge, the higher the
   * merged piece's score the earlier (llama2.c's `encode`). Equal scores get equal priority so
   * the leftmost pair wins, as in llama2.c's strict `>` scan.
   */
  private buildScoreTable(): void {
    const distinct = [...new Set(Array.from(this.scores))].sort((x, y) => y - x);
    const prio = new Map(distinct.map((s, i) => [s, i]));
    for (const [p, id] of this.normalIds) {
      const cps = Array.from(p);
      if (cps.length < 2) continue;
      let left = '';
      for (let k = 1; k < cps.length; k++) {
        left += cps[k - 1]!;
        const ia = this.normalIds.get(left);
        if (ia === undefined) continue;
        const ib = this.normalIds.get(p.slice(left.length));
        if (ib === undefined) continue;
        this.table.set(pairKey(ia, ib), packMerge(prio.get(this.scores[id]!)!, id));
      }
    }
  }

  private rebuildBytes(): void {
    this.tokenBytes = this.pieces.map((p, id) => (this.types[id] === TokenType.byte ? Uint8Array.of(parseBytePiece(p)) : utf8(p)));
  }

  /** Make `content` encode as one id: an existing piece is marked special, otherwise a control token is appended. */
  registerSpecial(content: string): number {
    const existing = this.specialTokens().get(content);
    if (existing !== undefined) return existing;
    let id = this.allIds.get(content);
    if (id === undefined) {
      id = this.pieces.length;
      this.pieces.push(content);
      this.scores = Float32Array.from([...this.scores, 0]);
      this.types = Uint8Array.from([...this.types, TokenType.control]);
      this.allIds.set(content, id);
      this.tokenBytes.push(utf8(content));
    }
    this.splitter.add({ id, content });
    this.specialIds.add(id);
    return id;
  }

  specialTokens(): ReadonlyMap<string, number> {
    return new Map([...this.splitter.entries()].map((t) => [t.content, t.id]));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (opts.bos) ids.push(this.bos);
    let prev = NO_PREV;
    for (const s of this.splitter.split(text)) {
      if ('token' in s) {
        ids.push(s.token.id);
        prev = s.token.id;
      } else {
        this.encodeText(s.text, this.stripsAfter(prev), ids);
        prev = TEXT_RUN;
      }
    }
    if (opts.eos) ids.push(this.eos);
    return ids;
  }

  private encodeText(text: string, prefix: boolean, out: number[]): void {
    let s = this.metaspaceInput ? text.replaceAll(METASPACE, ' ') : text;
    if (prefix) s = ` ${s}`;
    if (!this.splitWords) {
      for (const id of this.encodeWord(s)) out.push(id);
      return;
    }
    let start = 0;
    for (let i = 1; i <= s.length; i++) {
      if (i === s.length || (s.charCodeAt(i) === SPACE && s.charCodeAt(i - 1) !== SPACE)) {
        const w = s.slice(start, i);
        let ids = this.cache.get(w);
        if (!ids) {
          ids = this.encodeWord(w);
          if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
          this.cache.set(w, ids);
        }
        for (const id of ids) out.push(id);
        start = i;
      }
    }
  }

  /** Characters to pieces (unknown characters to their UTF-8 byte tokens), then BPE. */
  private encodeWord(w: string): number[] {
    const syms: number[] = [];
    for (const ch of w) {
      const id = this.normalIds.get(ch);
      if (id !== undefined) {
        syms.push(id);
        continue;
      }
      const bytes = utf8(ch);
      const byteIds = Array.from(bytes, (b) => this.byteIds[b]!);
      if (byteIds.every((b) => b >= 0)) syms.push(...byteIds);
      else if (this.unk < 0) throw new Error(`cannot encode ${JSON.stringify(ch)}: no byte fallback and no <unk>`);
      else if (syms[syms.length - 1] !== this.unk) syms.push(this.unk); // fuse unknowns
    }
    return mergeSymbols(syms, this.table);
  }

  /**
   * Whether text after `prev` gets the dummy prefix, and so whether decoding drops a leading
   * space there: 'first' at the start and after BOS (a new document, as run.c decodes),
   * 'every' also after any special token. Encode and decode share the rule so text round-trips.
   */
  private stripsAfter(prev: number): boolean {
    if (this.dummyPrefix === 'none') return false;
    if (prev === NO_PREV) return true;
    return this.dummyPrefix === 'first' ? prev === this.bos : this.specialIds.has(prev);
  }

  private isControl(id: number): boolean {
    const t = this.types[id];
    return t === TokenType.control || t === TokenType.unknown;
  }

  decodeToken(prev: number, id: number, opts: DecodeOptions = {}): Uint8Array {
    const b = this.tokenBytes[id];
    if (!b) throw new Error(`token id ${id} out of range (vocab ${this.vocabSize})`);
    if (opts.skipSpecial && this.isControl(id)) return new Uint8Array(0);
    if (b.length > 0 && b[0] === SPACE && this.types[id] === TokenType.normal && this.stripsAfter(prev)) {
      return b.subarray(1);
    }
    return b;
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    const parts: Uint8Array[] = [];
    let prev = NO_PREV;
    for (const id of ids) {
      parts.push(this.decodeToken(prev, id, opts));
      prev = id;
    }
    return fromUtf8(concatBytes(parts));
  }

  idToPiece(id: number): string {
    const p = this.pieces[id];
    if (p === undefined) throw new Error(`token id ${id} out of range (vocab ${this.vocabSize})`);
    return p;
  }

  pieceToId(piece: string): number | undefined {
    return this.allIds.get(piece);
  }

  /** Tokens / scores / types for a GGUF writer (tokenizer.ggml.model "llama"). */
  vocabulary(): Vocabulary {
    return {
      tokens: this.pieces.map((p, id) =>
        this.types[id] === TokenType.normal || this.types[id] === TokenType.userDefined ? p.replaceAll(' ', METASPACE) : p,
      ),
      scores: Array.from(this.scores),
      types: Array.from(this.types),
      bos: this.bos,
      eos: this.eos,
    };
  }

  /**
   * The inverse of vocabulary(), e.g. from a GGUF file. Merges by score, puts the dummy prefix
   * before every run of text and reads U+2581 in the input as a space, as llama.cpp's
   * SentencePiece tokenizer does.
   */
  static fromVocabulary(v: Readonly<Vocabulary>): SentencePieceBPE {
    const types = Array.from(v.types);
    const pieces = Array.from(v.tokens, (t, id) =>
      types[id] === TokenType.normal || types[id] === TokenType.userDefined ? t.replaceAll(METASPACE, ' ') : t,
    );
    const unk = types.indexOf(TokenType.unknown);
    return new SentencePieceBPE({
      pieces,
      scores: Array.from(v.scores),
      types,
      bos: v.bos,
      eos: v.eos,
      unk,
      dummyPrefix: 'every',
      metaspaceInput: true,
    });
  }
}

/** The 256 `<0xHH>` pieces, in byte order. */
export function bytePieces(): string[] {
  return Array.from({ length: 256 }, (_, b) => bytePiece(b));
}
