// Word tokens for `change_case:capital_word_frequency`, which counts the tokens of
// nltk.word_tokenize that are str.isupper(). Only where tokens split matters for that count (a split
// can turn one upper-case token into two, or separate an upper-case part from a mixed one), so this
// follows the Treebank rules that split inside a chunk: the punctuation NLTK always separates, `:`
// and `,` before a non-digit, `--`, `...`, contractions ('S 'M 'D 'LL 'RE 'VE N'T) and the fused
// forms (cannot, gonna, gotta, wanna, gimme, lemme, 'tis, 'twas). Sentence-final periods only split
// off a `.`, which has no case, so punkt is not needed here.
import { pyIsUpper, pySplitWs } from './pytext.ts';

const ALWAYS_SPLIT = /([;@#$%&?!*[\](){}<>"`]|\.\.\.|--|[:,](?!\d))/u;
const CONTRACTION = /^(.*[^'])('[sSmMdD]|'ll|'LL|'re|'RE|'ve|'VE|n't|N'T)$/u;
const FUSED: [RegExp, number][] = [
  [/^(can)(not)$/iu, 3],
  [/^(gon)(na)$/iu, 3],
  [/^(got)(ta)$/iu, 3],
  [/^(wan)(na)$/iu, 3],
  [/^(gim)(me)$/iu, 3],
  [/^(lem)(me)$/iu, 3],
  [/^(more)('n)$/iu, 4],
  [/^(d)('ye)$/iu, 1],
  [/^(t)(is)$/iu, 1],
  [/^(t)(was)$/iu, 1],
];

function splitContractions(piece: string): string[] {
  for (const [re, at] of FUSED) if (re.test(piece)) return [piece.slice(0, at), piece.slice(at)];
  const m = CONTRACTION.exec(piece);
  return m ? [...splitContractions(m[1]!), m[2]!] : [piece];
}

/** The tokens nltk.word_tokenize would produce, up to splits that cannot change a token's case. */
export function wordTokens(text: string): string[] {
  const out: string[] = [];
  for (const chunk of pySplitWs(text)) {
    for (const piece of chunk.split(ALWAYS_SPLIT)) {
      if (!piece) continue;
      // A quote opening a word ('Hello) is separated too.
      const p = piece.length > 1 && piece[0] === "'" && !/^'(re|ve|ll|m|t|s|d|n)/iu.test(piece) ? (out.push("'"), piece.slice(1)) : piece;
      out.push(...splitContractions(p));
    }
  }
  return out;
}

export function countCapitalWords(text: string): number {
  return wordTokens(text).filter(pyIsUpper).length;
}
