// Shared inputs for comparing heed's HF loaders with the reference encoder (@lenml/tokenizers).
import fc from 'fast-check';

export const VARIED_TEXTS = [
  '',
  'Hello world',
  ' leading space',
  'trailing space ',
  'multiple   spaces    inside',
  'tabs\tand\ttabs\t\t',
  'lines\nand\n\nblank\r\n\r\nlines\n',
  '   \n\t  \n',
  'Ünïcödé àccénts, Straße, naïve café',
  'Ελληνικά, русский текст, עברית, العربية',
  '日本語のテキスト。中文，한국어 텍스트',
  'emoji 😀🎉 and ZWJ families 👨‍👩‍👧‍👦 👩🏽‍💻 🏳️‍🌈 flags 🇯🇵🇫🇷',
  'def f(x):\n    return x ** 2  # square\n\nprint(f(12))\n',
  'if (a && b) { c[i] = d->e; } // C-ish <tag attr="v">',
  'digits 0 1 22 333 4444 55555 and 3.14159265358979',
  'a long number 12345678901234567890 and 1,000,000.00',
  "contractions: I'm, you're, it's, we'll, they've, I'd, DON'T",
  'punctuation!!! ??? ... --- *** ~~~ ### @@@ $$$ %%%',
  'zero\u200bwidth\u200dspace and nbsp\u00a0here',
  'mixed: αβγ 123 xyz ✓ ∑ ∞ → ← ½ ¼',
  '\uFEFFstarts with a BOM',
];

/** Fragments glued together by the property tests: whitespace runs, digits, scripts, specials. */
const FRAGMENTS = [
  ' ',
  '  ',
  '\n',
  '\n\n',
  '\t',
  '\r\n',
  'a',
  'The',
  ' the',
  'ing',
  '123',
  '4567890',
  "'s",
  "'LL",
  '.',
  ',',
  '!?',
  '日本',
  '한',
  'é',
  'ß',
  '😀',
  '👨‍👩‍👧',
  '🏽',
  '\u200d',
  '<',
  '>',
  '|',
  '_',
  '-',
  '/',
];

export function fragmentText(specials: string[]): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...FRAGMENTS, ...specials), { maxLength: 20 }).map((xs) => xs.join(''));
}

export const RANDOM_STRINGS: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 40 }),
);
