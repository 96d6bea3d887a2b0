// Python string semantics the official IFEval checker relies on (str.isspace/strip/isupper/islower,
// the Unicode `\w`, `\s`, `\d`, `\b` of Python's `re`, json.dumps with ensure_ascii), spelled out
// because JavaScript's built-ins differ at the edges (ASCII-only `\w`/`\b`, trim() and U+FEFF).

/** Python's whitespace (str.isspace and `\s` on str patterns), as a regex class body. */
export const PY_WS = '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
/** Python's `\w` on str patterns: alphanumerics (letters, numbers) and underscore. Use with the `u` flag. */
export const PY_WORD = '\\p{L}\\p{N}_';

/** Python `\b` (Unicode), for patterns compiled with the `u` flag. */
export const PY_B = `(?:(?<=[${PY_WORD}])(?![${PY_WORD}])|(?<![${PY_WORD}])(?=[${PY_WORD}]))`;

const WS = new RegExp(`[${PY_WS}]`, 'u');

export function isPySpace(ch: string): boolean {
  return WS.test(ch);
}

/** str.strip(chars?): without chars, Python whitespace. */
export function pyStrip(s: string, chars?: string): string {
  return pyRstrip(pyLstrip(s, chars), chars);
}

export function pyLstrip(s: string, chars?: string): string {
  let i = 0;
  while (i < s.length && (chars === undefined ? isPySpace(s[i]!) : chars.includes(s[i]!))) i++;
  return s.slice(i);
}

export function pyRstrip(s: string, chars?: string): string {
  let j = s.length;
  while (j > 0 && (chars === undefined ? isPySpace(s[j - 1]!) : chars.includes(s[j - 1]!))) j--;
  return s.slice(0, j);
}

/** str.split() without arguments: runs of whitespace separate, empty pieces dropped. */
export function pySplitWs(s: string): string[] {
  return s.split(new RegExp(`[${PY_WS}]+`, 'u')).filter((p) => p.length > 0);
}

const LOWER = /\p{Lowercase}/u;
const UPPER = /\p{Uppercase}/u;
const TITLE = /\p{Lt}/u;

/** str.isupper(): at least one cased character and no lowercase or titlecase one. */
export function pyIsUpper(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (LOWER.test(ch) || TITLE.test(ch)) return false;
    if (UPPER.test(ch)) cased = true;
  }
  return cased;
}

/** str.islower(): at least one cased character and no uppercase or titlecase one. */
export function pyIsLower(s: string): boolean {
  let cased = false;
  for (const ch of s) {
    if (UPPER.test(ch) || TITLE.test(ch)) return false;
    if (LOWER.test(ch)) cased = true;
  }
  return cased;
}

/** len(re.findall(r"\w+", text)): nltk's RegexpTokenizer(r"\w+"), the checker's word count. */
export function countWords(text: string): number {
  return text.match(new RegExp(`[${PY_WORD}]+`, 'gu'))?.length ?? 0;
}

/** json.dumps(value) with Python's defaults: ", " and ": " separators, ensure_ascii escapes. */
export function pyJsonDumps(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`pyJsonDumps: ${value} has no JSON form`);
    return String(value);
  }
  if (typeof value === 'string') return pyJsonString(value);
  if (Array.isArray(value)) return `[${value.map(pyJsonDumps).join(', ')}]`;
  if (typeof value === 'object') {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${pyJsonString(k)}: ${pyJsonDumps(v)}`)
      .join(', ')}}`;
  }
  throw new Error(`pyJsonDumps: cannot serialise a ${typeof value}`);
}

const SHORT_ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

function pyJsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const ch = s[i]!;
    const c = s.charCodeAt(i);
    const short = SHORT_ESCAPES[ch];
    if (short) out += short;
    else if (c < 0x20 || c > 0x7e) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
