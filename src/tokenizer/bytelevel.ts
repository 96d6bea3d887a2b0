// Byte-level BPE (GPT-2 / Llama-3 / SmolLM kind): text is split by a regex pre-tokenizer, each
// piece's UTF-8 bytes are spelled with GPT-2's byte->character map, and BPE merges by rank.
// Added/special tokens are split out first, so they never reach the regex.
import { NO_PREV } from './tokenizer.ts';
import type { DecodeOptions, EncodeOptions, Tokenizer } from './tokenizer.ts';
import { SpecialSplitter } from './special.ts';
import type { AddedToken } from './special.ts';
import { mergeSymbols, packMerge, pairKey } from './bpeMerge.ts';
import type { MergeTable } from './bpeMerge.ts';
import { bytesToUnicode, unicodeToBytes } from './pretokenize.ts';
import type { PreTokenizer } from './pretokenize.ts';
import { concatBytes, fromUtf8, utf8 } from './bytes.ts';

export interface ByteLevelAddedToken extends AddedToken {
  /** Control-like (dropped by skipSpecial) rather than ordinary added text. */
  special: boolean;
}

export interface ByteLevelOptions {
  /** Byte-level spelled token -> id. */
  vocab: Map<string, number>;
  /** Merges in rank order, byte-level spelled. */
  merges: Array<[string, string]>;
  added: ByteLevelAddedToken[];
  preTokenize: PreTokenizer;
  /** Applied to each run of text before pre-tokenisation (HF normaliser). */
  normalize?: (text: string) => string;
  /** Take a pre-token whole when it is itself in the vocabulary (Llama-3's ignore_merges). */
  ignoreMerges?: boolean;
  bos: number;
  eos: number;
}

const WORD_CACHE_LIMIT = 100_000;

export class ByteLevelBPE implements Tokenizer {
  readonly vocabSize: number;
  readonly bos: number;
  readonly eos: number;
  private readonly vocab: Map<string, number>;
  private readonly pieces: string[] = [];
  private readonly table: MergeTable = new Map();
  private readonly splitter: SpecialSplitter;
  private readonly specialIds = new Set<number>();
  private readonly tokenBytes: Uint8Array[] = [];
  private readonly preTokenize: PreTokenizer;
  private readonly normalize: ((text: string) => string) | undefined;
  private readonly ignoreMerges: boolean;
  private readonly byteMap = bytesToUnicode();
  private readonly cache = new Map<string, number[]>();

  constructor(o: ByteLevelOptions) {
    this.vocab = new Map(o.vocab);
    for (const t of o.added) if (!this.vocab.has(t.content)) this.vocab.set(t.content, t.id);
    let size = 0;
    for (const id of this.vocab.values()) size = Math.max(size, id + 1);
    this.vocabSize = size;
    for (const [p, id] of this.vocab) this.pieces[id] = p;
    this.bos = o.bos;
    this.eos = o.eos;
    this.preTokenize = o.preTokenize;
    this.normalize = o.normalize;
    this.ignoreMerges = o.ignoreMerges ?? false;
    this.splitter = new SpecialSplitter(o.added);
    for (const t of o.added) if (t.special) this.specialIds.add(t.id);

    o.merges.forEach(([a, b], rank) => {
      const ia = this.vocab.get(a);
      const ib = this.vocab.get(b);
      const im = this.vocab.get(a + b);
      if (ia === undefined || ib === undefined || im === undefined) return;
      const k = pairKey(ia, ib);
      if (!this.table.has(k)) this.table.set(k, packMerge(rank, im));
    });

    const fromChars = unicodeToBytes();
    const addedIds = new Map(o.added.map((t) => [t.id, t.content]));
    for (let id = 0; id < size; id++) {
      const added = addedIds.get(id);
      const p = this.pieces[id];
      if (added !== undefined) this.tokenBytes[id] = utf8(added);
      else if (p === undefined) this.tokenBytes[id] = new Uint8Array(0);
      else this.tokenBytes[id] = Uint8Array.from(Array.from(p, (c) => fromChars.get(c) ?? 0x3f));
    }
  }

  specialTokens(): ReadonlyMap<string, number> {
    return new Map([...this.splitter.entries()].map((t) => [t.content, t.id]));
  }

  encode(text: string, opts: EncodeOptions = {}): number[] {
    const ids: number[] = [];
    if (opts.bos && this.bos >= 0) ids.push(this.bos);
    for (const s of this.splitter.split(text)) {
      if ('token' in s) {
        ids.push(s.token.id);
        continue;
      }
      const normed = this.normalize ? this.normalize(s.text) : s.text;
      for (const piece of this.preTokenize(normed)) {
        const word = Array.from(utf8(piece), (b) => this.byteMap[b]!).join('');
        let wordIds = this.cache.get(word);
        if (!wordIds) {
          wordIds = this.encodeWord(word);
          if (this.cache.size >= WORD_CACHE_LIMIT) this.cache.clear();
          this.cache.set(word, wordIds);
        }
        for (const id of wordIds) ids.push(id);
      }
    }
    if (opts.eos && this.eos >= 0) ids.push(this.eos);
    return ids;
  }

  private encodeWord(word: string): number[] {
    if (this.ignoreMerges) {
      const whole = this.vocab.get(word);
      if (whole !== undefined) return [whole];
    }
    const syms: number[] = [];
    for (const c of word) {
      const id = this.vocab.get(c);
      if (id === undefined) throw new Error(`byte-level vocabulary lacks ${JSON.stringify(c)}`);
      syms.push(id);
    }
    return mergeSymbols(syms, this.table);
  }

  decodeToken(_prev: number, id: number, opts: DecodeOptions = {}): Uint8Array {
    const b = this.tokenBytes[id];
    if (!b) throw new Error(`token id ${id} out of range (vocab ${this.vocabSize})`);
    if (opts.skipSpecial && this.specialIds.has(id)) return new Uint8Array(0);
    return b;
  }

  decode(ids: number[], opts: DecodeOptions = {}): string {
    return fromUtf8(concatBytes(ids.map((id) => this.decodeToken(NO_PREV, id, opts))));
  }

  idToPiece(id: number): string {
    const p = this.pieces[id];
    if (p === undefined) throw new Error(`token id ${id} has no piece`);
    return p;
  }

  pieceToId(piece: string): number | undefined {
    return this.vocab.get(piece);
  }

  /** The byte-level spelling of raw bytes (for looking up pieces of arbitrary text). */
  spell(bytes: Uint8Array): string {
    return Array.from(bytes, (b) => this.byteMap[b]!).join('');
  }
}
