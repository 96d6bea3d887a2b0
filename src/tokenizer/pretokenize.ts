// Pre-tokenisation for byte-level BPE: the regex splits of GPT-2 / Llama-3 and the GPT-2
// byte <-> printable-character map that lets BPE work on strings of "bytes".

/** Llama-3's split pattern, as tokenizer.json spells it (Rust/Python syntax). */
export const LLAMA3_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** GPT-2's split pattern (what HF's ByteLevel pre-tokenizer uses when use_regex is true). */
export const GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

/** Text -> pieces; the pieces concatenate back to the text. */
export type PreTokenizer = (text: string) => string[];

const SYNTAX = new Set('^$\\.*+?()[]{}|/-'.split(''));

/**
 * Compile an HF (Rust regex) pattern as a JS regex with the `u` flag: JS has no inline `(?i:...)`
 * group, so its letters become [xX] classes, and `u` mode rejects escapes of plain punctuation
 * (`\#`) that Rust accepts, so those lose their backslash.
 */
export function compileHFRegex(pattern: string): RegExp {
  let src = pattern.replace(/\\(.)/gsu, (m, c: string) => (SYNTAX.has(c) || /[\p{L}\p{N}]/u.test(c) ? m : c));
  src = src.replace(/\(\?i:((?:[^()\\]|\\.)*)\)/gu, (_m, body: string) => {
    const cased = body.replace(/\\.|[A-Za-z]/g, (t) => (t.length === 1 ? `[${t.toLowerCase()}${t.toUpperCase()}]` : t));
    return `(?:${cased})`;
  });
  return new RegExp(src, 'gu');
}

/** Split keeping both the matches and the text between them ("Isolated" behaviour). */
export function splitIsolated(text: string, re: RegExp): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const m of text.matchAll(re)) {
    const i = m.index;
    if (i > prev) out.push(text.slice(prev, i));
    if (m[0].length > 0) out.push(m[0]);
    prev = i + m[0].length;
  }
  if (prev < text.length) out.push(text.slice(prev));
  return out;
}

export function regexPreTokenizer(pattern: string | RegExp): PreTokenizer {
  const re = typeof pattern === 'string' ? compileHFRegex(pattern) : pattern;
  return (text) => splitIsolated(text, re);
}

/** HF Digits pre-tokenizer: digits apart from the rest, one by one or as runs. */
export function digitsPreTokenizer(individual: boolean): PreTokenizer {
  const re = individual ? /[^\d]+|\d/gu : /[^\d]+|\d+/gu;
  return (text) => text.match(re) ?? [];
}

export function sequencePreTokenizer(steps: PreTokenizer[]): PreTokenizer {
  return (text) => steps.reduce<string[]>((pieces, step) => pieces.flatMap(step), [text]);
}

let byteToChar: string[] | undefined;
let charToByte: Map<string, number> | undefined;

/**
 * GPT-2's map from the 256 bytes to printable characters: printable Latin-1 bytes map to
 * themselves, the rest to U+0100 onwards in byte order.
 */
export function bytesToUnicode(): string[] {
  if (byteToChar) return byteToChar;
  const table: string[] = new Array<string>(256);
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + extra++);
  }
  byteToChar = table;
  return table;
}

export function unicodeToBytes(): Map<string, number> {
  if (!charToByte) charToByte = new Map(bytesToUnicode().map((c, b) => [c, b]));
  return charToByte;
}
