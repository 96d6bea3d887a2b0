// How the world judge reads a text: sentences, words, mentions and quotes. These rules are the
// definition the grammar (src/data/world/grammar.ts) respects; they look at the text alone.

/**
 * Sentences: a sentence ends at `.`, `!` or `?` (followed by any closing quotes) when whitespace or
 * the end of the text follows. Empty pieces are dropped; each sentence is trimmed and its inner
 * whitespace collapsed to one space.
 */
export function sentences(text: string): string[] {
  const out: string[] = [];
  const re = /[.!?]+["\u201d']*(?=\s|$)/g;
  let start = 0;
  for (const m of text.matchAll(re)) {
    const end = m.index + m[0].length;
    out.push(text.slice(start, end));
    start = end;
  }
  out.push(text.slice(start));
  return out.map((s) => s.replace(/\s+/g, ' ').trim()).filter((s) => /[A-Za-z0-9]/.test(s));
}

/** The first word (letters and apostrophes) of the text, or '' when there is none. */
export function firstWord(text: string): string {
  return /[A-Za-z][A-Za-z']*/.exec(text)?.[0] ?? '';
}

/** The last sentence, normalised as `sentences` does ('' for a text without one). */
export function lastSentence(text: string): string {
  return sentences(text).at(-1) ?? '';
}

/**
 * True when the text holds a quoted utterance: double quotes (straight or curly) taken in order as
 * open, close, open, close, … on one line, with a letter between an opening and its closing quote.
 */
export function hasQuotedUtterance(text: string): boolean {
  for (const line of text.split('\n')) {
    let open = -1;
    for (let i = 0; i < line.length; i++) {
      const ch = line[i];
      if (ch !== '"' && ch !== '\u201c' && ch !== '\u201d') continue;
      if (open < 0) open = i;
      else {
        if (/[A-Za-z]/.test(line.slice(open + 1, i))) return true;
        open = -1;
      }
    }
  }
  return false;
}

const escapeRegExp = (w: string) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const wordRes = new Map<string, RegExp>();
/** The whole-word pattern of `w` (not inside a longer run of letters), compiled once. */
function wordRe(w: string, caseSensitive: boolean): RegExp {
  const key = `${caseSensitive ? 'c' : 'i'}:${w}`;
  let re = wordRes.get(key);
  if (!re) wordRes.set(key, (re = new RegExp(`(?<![A-Za-z])${escapeRegExp(w)}(?![A-Za-z])`, caseSensitive ? '' : 'i')));
  return re;
}

/**
 * The words of `vocabulary` in the order of their first mention in `text` (whole words; case-
 * sensitive when `caseSensitive`, as names are). Each word appears once in the result.
 */
export function mentions(text: string, vocabulary: readonly string[], caseSensitive = false): string[] {
  const firstAt = new Map<string, number>();
  for (const w of vocabulary) {
    const m = wordRe(w, caseSensitive).exec(text);
    if (m) firstAt.set(w, m.index);
  }
  return [...firstAt].sort((a, b) => a[1] - b[1]).map(([w]) => w);
}

/** True when `word` occurs as a whole word (case-insensitive). */
export function hasWord(text: string, word: string): boolean {
  return wordRe(word, false).test(text);
}

/** The first non-blank line, trimmed: a story or answer continued after a wrapper's prompt ends there. */
export function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? ''
  );
}
