// BPE training for the project's own small models. The result is a SentencePiece-style vocabulary
// (Llama layout): <unk>, <s>, </s>, the 256 <0xHH> byte tokens, optional special tokens, learned
// merges scored -rank, then the single characters that cover the corpus. Characters outside it
// fall back to bytes, so every string round-trips.
//
// Pair counts live over unique words (with frequencies) and are updated only for the words a merge
// touches; a lazy max-heap picks the next pair. Ties go to the smaller (left id, right id) pair, so
// the same corpus and options always give the same vocabulary.
import { TokenType } from './tokenizer.ts';
import { SentencePieceBPE, bytePieces } from './sentencepiece.ts';
import { SpecialSplitter } from './special.ts';
import { pairKey } from './bpeMerge.ts';

export interface TrainOptions {
  /** Upper bound on the vocabulary; smaller if the corpus runs out of pairs seen twice. */
  vocabSize: number;
  /** Control tokens matched whole by encode(), e.g. ['<|user|>', '<|assistant|>']; ids 259, 260, ... */
  specialTokens?: string[];
  /** Share of character occurrences to cover with character pieces (SentencePiece's default 0.9995). */
  characterCoverage?: number;
  /** Stop merging when the best pair occurs fewer times than this. */
  minPairCount?: number;
  /** Longest piece, in characters. */
  maxPieceLength?: number;
}

/**
 * Words the merges may not cross: letters (with marks) or a run of other symbols, each with at
 * most one leading space; digits one at a time (better for arithmetic); runs of spaces or newlines.
 * No piece can then hold a non-space followed by a space, which is what lets the encoder BPE each
 * space-led word on its own.
 */
const WORD = / ?[\p{L}\p{M}]+| ?\p{N}| ?[^\s\p{L}\p{M}\p{N}]+| +(?!\S)|\n+|\s/gu;

const CONTROL = ['<unk>', '<s>', '</s>'];

/** Max-heap of (count, pair key): larger count first, then smaller key. */
class PairHeap {
  private counts: number[] = [];
  private keys: number[] = [];
  get size(): number {
    return this.counts.length;
  }
  private above(i: number, j: number): boolean {
    const c = this.counts[i]! - this.counts[j]!;
    return c > 0 || (c === 0 && this.keys[i]! < this.keys[j]!);
  }
  private swap(i: number, j: number): void {
    [this.counts[i], this.counts[j]] = [this.counts[j]!, this.counts[i]!];
    [this.keys[i], this.keys[j]] = [this.keys[j]!, this.keys[i]!];
  }
  push(count: number, key: number): void {
    this.counts.push(count);
    this.keys.push(key);
    for (let i = this.counts.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (!this.above(i, p)) break;
      this.swap(i, p);
      i = p;
    }
  }
  pop(): [number, number] {
    const top: [number, number] = [this.counts[0]!, this.keys[0]!];
    const n = this.counts.length - 1;
    this.swap(0, n);
    this.counts.pop();
    this.keys.pop();
    for (let i = 0; ; ) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const c = l + 1 < n && this.above(l + 1, l) ? l + 1 : l;
      if (!this.above(c, i)) break;
      this.swap(c, i);
      i = c;
    }
    return top;
  }
}

/** Unique words and their counts, split out of special tokens and given the dummy prefix as encode() would. */
function countWords(corpus: string | Iterable<string>, specials: SpecialSplitter): Map<string, number> {
  const words = new Map<string, number>();
  const docs = typeof corpus === 'string' ? [corpus] : corpus;
  for (const doc of docs) {
    // special tokens only separate runs of text, so every run starts with the dummy prefix
    for (const s of specials.split(doc)) {
      if ('token' in s) continue;
      const text = ` ${s.text}`;
      for (const m of text.matchAll(WORD)) words.set(m[0], (words.get(m[0]) ?? 0) + 1);
    }
  }
  return words;
}

/** The characters kept as pieces: most frequent first until `coverage` of occurrences. */
function chooseChars(words: Map<string, number>, coverage: number, limit: number): string[] {
  const freq = new Map<string, number>();
  let total = 0;
  for (const [w, n] of words) {
    for (const ch of w) {
      freq.set(ch, (freq.get(ch) ?? 0) + n);
      total += n;
    }
  }
  const sorted = [...freq].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  const kept: string[] = [];
  let covered = 0;
  for (const [ch, n] of sorted) {
    if (kept.length >= limit || (covered >= coverage * total && kept.length > 0)) break;
    kept.push(ch);
    covered += n;
  }
  return kept;
}

export function trainBPE(corpus: string | Iterable<string>, opts: TrainOptions): SentencePieceBPE {
  const specials = opts.specialTokens ?? [];
  const fixed = [...CONTROL, ...bytePieces(), ...specials];
  if (new Set(fixed).size !== fixed.length) throw new Error('special tokens must be distinct from <unk>, <s>, </s> and byte tokens');
  const budget = opts.vocabSize - fixed.length;
  if (budget < 1) throw new Error(`vocabSize ${opts.vocabSize} leaves no room beyond ${fixed.length} fixed tokens`);
  const minCount = opts.minPairCount ?? 2;
  const maxLen = opts.maxPieceLength ?? 16;
  const reserved = new Set(fixed);

  const splitter = new SpecialSplitter([...CONTROL, ...specials].map((content, id) => ({ id, content })));
  const wordCounts = countWords(corpus, splitter);
  const chars = chooseChars(wordCounts, opts.characterCoverage ?? 0.9995, budget).filter((c) => !reserved.has(c));

  // training symbols: characters first, then merged pieces; -1 marks an uncovered character
  const symStr: string[] = [...chars];
  const symLen: number[] = chars.map(() => 1);
  const symId = new Map(chars.map((c, i) => [c, i]));
  const counts: number[] = [];
  const words: number[][] = [];
  for (const [w, n] of wordCounts) {
    words.push(Array.from(w, (ch) => symId.get(ch) ?? -1));
    counts.push(n);
  }

  const pairCount = new Map<number, number>();
  const pairWords = new Map<number, Set<number>>();
  const heap = new PairHeap();
  const banned = new Set<number>();
  const SPAN = 2 ** 22;
  const add = (a: number, b: number, n: number, w: number): void => {
    if (a < 0 || b < 0) return;
    const k = pairKey(a, b);
    const c = (pairCount.get(k) ?? 0) + n;
    pairCount.set(k, c);
    if (n > 0) {
      let set = pairWords.get(k);
      if (!set) pairWords.set(k, (set = new Set()));
      set.add(w);
      heap.push(c, k);
    }
  };
  words.forEach((syms, w) => {
    for (let i = 0; i + 1 < syms.length; i++) add(syms[i]!, syms[i + 1]!, counts[w]!, w);
  });

  const merged: number[] = []; // symbol ids of learned pieces, in merge order
  const maxMerges = budget - chars.length;
  while (merged.length < maxMerges && heap.size > 0) {
    const [c, k] = heap.pop();
    if (pairCount.get(k) !== c || banned.has(k)) continue; // stale or refused
    if (c < minCount) break;
    const a = Math.floor(k / SPAN);
    const b = k % SPAN;
    const str = symStr[a]! + symStr[b]!;
    const len = symLen[a]! + symLen[b]!;
    if (len > maxLen || reserved.has(str)) {
      banned.add(k);
      continue;
    }
    // a piece reached before through another split is reused, not added twice
    let m = symId.get(str);
    if (m === undefined) {
      m = symStr.length;
      symStr.push(str);
      symLen.push(len);
      symId.set(str, m);
      merged.push(m);
    }
    for (const w of pairWords.get(k) ?? []) {
      const syms = words[w]!;
      const n = counts[w]!;
      let hit = false;
      for (let i = 0; i + 1 < syms.length; i++) if (syms[i] === a && syms[i + 1] === b) hit = true;
      if (!hit) continue;
      for (let i = 0; i + 1 < syms.length; i++) add(syms[i]!, syms[i + 1]!, -n, w);
      const out: number[] = [];
      for (let i = 0; i < syms.length; i++) {
        if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
          out.push(m);
          i++;
        } else out.push(syms[i]!);
      }
      words[w] = out;
      for (let i = 0; i + 1 < out.length; i++) add(out[i]!, out[i + 1]!, n, w);
    }
    pairWords.delete(k);
  }

  const pieces = [...fixed, ...merged.map((s) => symStr[s]!), ...chars];
  const scores = [...fixed.map(() => 0), ...merged.map((_, rank) => -rank), ...chars.map((_, i) => -(merged.length + i))];
  const types = [
    TokenType.unknown,
    TokenType.control,
    TokenType.control,
    ...bytePieces().map(() => TokenType.byte),
    ...specials.map(() => TokenType.control),
    ...merged.map(() => TokenType.normal),
    ...chars.map(() => TokenType.normal),
  ];
  return new SentencePieceBPE({ pieces, scores, types, bos: 1, eos: 2, unk: 0, dummyPrefix: 'every' });
}
