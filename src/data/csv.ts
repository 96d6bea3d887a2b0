// RFC-4180 CSV (quoted fields with "" escapes and embedded newlines; CRLF or LF), and Python
// list literals of strings (the recipes' Cleaned_Ingredients column).

/** Rows of fields; throws naming the line where a quoted field never closes. */
export function parseCsv(text: string, source = '<csv>'): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  const n = text.length;
  const lineAt = (k: number) => text.slice(0, k).split('\n').length;
  const endRow = () => {
    rows.push(row);
    row = [];
  };
  while (i < n) {
    let field: string;
    if (text[i] === '"') {
      // quoted: runs up to a quote not followed by another quote
      const parts: string[] = [];
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) throw new Error(`${source}: quoted field opened on line ${lineAt(i)} never closes`);
        parts.push(text.slice(j, q));
        if (text[q + 1] === '"') {
          parts.push('"');
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      field = parts.join('');
      if (i < n && text[i] !== ',' && text[i] !== '\n' && text[i] !== '\r')
        throw new Error(`${source}: line ${lineAt(i)}: text after a closing quote`);
    } else {
      let j = i;
      while (j < n && text[j] !== ',' && text[j] !== '\n' && text[j] !== '\r') j++;
      field = text.slice(i, j);
      i = j;
    }
    row.push(field);
    if (i >= n) break;
    const c = text[i]!;
    if (c === ',') {
      i++;
      if (i >= n) row.push('');
    } else {
      i += c === '\r' && text[i + 1] === '\n' ? 2 : 1;
      endRow();
    }
  }
  if (row.length > 0) endRow();
  return rows;
}

/** Rows as objects keyed by the header row; rows whose width differs from the header throw. */
export function csvRecords(text: string, source = '<csv>'): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text, source);
  if (!header) throw new Error(`${source}: empty CSV`);
  return rows.map((r, i) => {
    if (r.length !== header.length) throw new Error(`${source}: record ${i + 1} has ${r.length} fields, the header has ${header.length}`);
    return Object.fromEntries(header.map((h, j) => [h, r[j]!]));
  });
}

const PY_ESCAPES: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', "'": "'", '"': '"', '0': '\0' };

/** `['a', "b's", ...]` → strings; returns undefined if the text is not such a literal. */
export function parsePyStringList(s: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < s.length && /\s/.test(s[i]!)) i++;
  };
  ws();
  if (s[i] !== '[') return undefined;
  i++;
  ws();
  if (s[i] === ']') return s.slice(i + 1).trim() === '' ? out : undefined;
  for (;;) {
    ws();
    const q = s[i];
    if (q !== "'" && q !== '"') return undefined;
    i++;
    let v = '';
    for (;;) {
      if (i >= s.length) return undefined;
      const c = s[i]!;
      if (c === '\\') {
        const e = s[i + 1];
        if (e === 'x' || e === 'u') {
          const len = e === 'x' ? 2 : 4;
          const hex = s.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== len) return undefined;
          v += String.fromCharCode(parseInt(hex, 16));
          i += 2 + len;
          continue;
        }
        const m = e === undefined ? undefined : PY_ESCAPES[e];
        if (m === undefined) {
          v += '\\'; // Python keeps unknown escapes as written
          i++;
          continue;
        }
        v += m;
        i += 2;
        continue;
      }
      if (c === q) {
        i++;
        break;
      }
      v += c;
      i++;
    }
    out.push(v);
    ws();
    if (s[i] === ',') {
      i++;
      ws();
      if (s[i] === ']') break;
      continue;
    }
    if (s[i] === ']') break;
    return undefined;
  }
  return s.slice(i + 1).trim() === '' ? out : undefined;
}
