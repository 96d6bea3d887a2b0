// Sentence counting for `length_constraints:number_sentences`. The official checker counts with
// NLTK's pretrained English punkt model; heed has no NLTK, so this follows punkt's decision rules
// with small hand lists in place of its learned statistics:
// - a break can only follow `.`, `?` or `!` (closing quotes, brackets and `*` may trail) at the end
//   of a whitespace-separated chunk that is followed by another chunk; newlines alone never break;
// - `?`/`!` always break; a word ending in `.` breaks, except
//   - an abbreviation (ABBREVIATIONS): only before a capitalised common word,
//   - an initial (one letter): only before a capitalised word that does not continue a name,
//   - a number (`1.`, list markers): not before a lowercase word,
//   - an ellipsis: only before a capitalised word.
// The learned orthographic context is replaced by COMMON_STARTERS. Disagreements with punkt on the
// IFEval reference data are counted and listed in test/eval/ifeval.reference.test.ts.
import { pySplitWs, pyStrip } from './pytext.ts';

/** Lowercased abbreviation types (without the final period): a hand list standing in for the types
 *  punkt's English model learned (that model's list was not available to check against). */
const ABBREVIATIONS = new Set([
  'mr',
  'mrs',
  'ms',
  'dr',
  'prof',
  'st',
  'jr',
  'sr',
  'sen',
  'rep',
  'gov',
  'gen',
  'col',
  'lt',
  'capt',
  'sgt',
  'rev',
  'hon',
  'co',
  'corp',
  'inc',
  'ltd',
  'bros',
  'dept',
  'univ',
  'assn',
  'ave',
  'blvd',
  'rd',
  'mt',
  'ft',
  'e.g',
  'i.e',
  'etc',
  'vs',
  'cf',
  'al',
  'approx',
  'nos',
  'vol',
  'fig',
  'pp',
  'u.s',
  'u.k',
  'u.n',
  'u.s.a',
  'n.y',
  'd.c',
  'l.a',
  'a.m',
  'p.m',
  'ph.d',
  'jan',
  'feb',
  'mar',
  'apr',
  'jun',
  'jul',
  'aug',
  'sep',
  'sept',
  'oct',
  'nov',
  'dec',
  'tues',
  'thurs',
  'ala',
  'ariz',
  'calif',
  'colo',
  'conn',
  'fla',
  'kan',
  'mich',
  'minn',
  'neb',
  'nev',
  'okla',
  'tenn',
  'tex',
  'wis',
  'wyo',
]);
// Left out on purpose: abbreviations that are also common sentence-final words (sun, sat, wed, no,
// ill, mass, miss, wash, ...): a sentence ending in them is likelier than the abbreviation.

/** Words punkt's model has seen in lowercase mid-sentence and so takes, capitalised, as sentence starters. */
const COMMON_STARTERS = new Set([
  'the',
  'a',
  'an',
  'this',
  'that',
  'these',
  'those',
  'it',
  'its',
  'he',
  'she',
  'they',
  'we',
  'you',
  'i',
  'his',
  'her',
  'their',
  'our',
  'my',
  'your',
  'in',
  'on',
  'at',
  'for',
  'with',
  'but',
  'and',
  'or',
  'so',
  'if',
  'when',
  'while',
  'as',
  'after',
  'before',
  'there',
  'here',
  'what',
  'how',
  'why',
  'who',
  'which',
  'however',
  'also',
  'then',
  'some',
  'many',
  'most',
  'all',
  'each',
  'one',
  'to',
  'by',
  'from',
  'of',
  'is',
  'are',
  'was',
  'were',
  'do',
  'does',
  'not',
  'no',
]);

const CLOSERS = `"')]}*\u201d\u2019`;
const OPENERS = `"'([{*\u201c\u2018`;

function firstLetterCase(chunk: string): 'upper' | 'lower' | 'other' {
  for (const ch of chunk) {
    if (/\p{Lu}|\p{Lt}/u.test(ch)) return 'upper';
    if (/\p{Ll}/u.test(ch)) return 'lower';
    if (/[\p{L}\p{N}]/u.test(ch)) return 'other';
  }
  return 'other';
}

function startsCapitalisedCommonWord(next: string): boolean {
  const word = next.replace(/^[^\p{L}\p{N}]+/u, '').match(/^[\p{L}\p{N}']+/u)?.[0] ?? '';
  return firstLetterCase(word) === 'upper' && COMMON_STARTERS.has(word.toLowerCase());
}

/** A single letter and a period: an initial inside a name (J. K. Rowling, John F. Kennedy) unless a
 *  capitalised word follows a lowercase context (`located in o. Let's`). */
function breaksAfterInitial(prev: string | undefined, next: string): boolean {
  if (firstLetterCase(next) !== 'upper') return false;
  if (/^[^\P{L}]\.$/u.test(next)) return false;
  return prev === undefined ? startsCapitalisedCommonWord(next) : firstLetterCase(prev) !== 'upper';
}

/** Whether the chunk `chunk` (after `prev`, before `next`) ends a sentence. */
function breaksAfter(prev: string | undefined, chunk: string, next: string): boolean {
  let core = chunk;
  while (core.length > 0 && CLOSERS.includes(core[core.length - 1]!)) core = core.slice(0, -1);
  const last = core[core.length - 1];
  if (last === '?' || last === '!') return true;
  if (last !== '.') return false;
  if (/\.\.$/.test(core)) return firstLetterCase(next) === 'upper';
  let word = core.slice(0, -1);
  while (word.length > 0 && OPENERS.includes(word[0]!)) word = word.slice(1);
  const lower = word.toLowerCase();
  if (ABBREVIATIONS.has(lower) || ABBREVIATIONS.has(lower.split('-').pop()!)) return startsCapitalisedCommonWord(next);
  if (/^[^\P{L}]$/u.test(word)) return breaksAfterInitial(prev, next);
  if (/^-?[.,]?\d[\d,.-]*$/.test(word)) return firstLetterCase(next) !== 'lower';
  return true;
}

/** Number of sentences as NLTK's English punkt tokenizer would count them (approximately). */
export function countSentences(text: string): number {
  if (pyStrip(text) === '') return 0;
  const chunks = pySplitWs(text);
  let n = 1;
  for (let i = 0; i + 1 < chunks.length; i++) if (breaksAfter(chunks[i - 1], chunks[i]!, chunks[i + 1]!)) n++;
  return n;
}
