// The one policy for text inputs: a UTF-8 byte-order mark is dropped, and bytes that are not
// UTF-8 are refused naming file:line:byte (a Latin-1 file is never silently read as something else).

const BOM = [0xef, 0xbb, 0xbf];

/** The first byte that is not valid UTF-8, as 1-based line and byte-in-line, or undefined. */
export function firstInvalidUtf8(b: Uint8Array): { offset: number; line: number; byte: number } | undefined {
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    let len = 0;
    let min = 0;
    if (c < 0x80) {
      if (c === 0x0a) {
        line++;
        lineStart = i + 1;
      }
      i++;
      continue;
    } else if (c >= 0xc2 && c <= 0xdf) [len, min] = [2, 0x80];
    else if (c >= 0xe0 && c <= 0xef) [len, min] = [3, 0x800];
    else if (c >= 0xf0 && c <= 0xf4) [len, min] = [4, 0x10000];
    else return { offset: i, line, byte: i - lineStart + 1 };
    if (i + len > n) return { offset: i, line, byte: i - lineStart + 1 };
    let cp = c & (0xff >> (len + 1));
    for (let k = 1; k < len; k++) {
      const x = b[i + k]!;
      if ((x & 0xc0) !== 0x80) return { offset: i, line, byte: i - lineStart + 1 };
      cp = (cp << 6) | (x & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return { offset: i, line, byte: i - lineStart + 1 };
    i += len;
  }
  return undefined;
}

/**
 * Bytes as text under the one policy for text inputs: a leading UTF-8 BOM is dropped; invalid
 * UTF-8 is refused naming `source`:line:byte and the offending byte.
 */
export function decodeText(bytes: Uint8Array, source: string): string {
  const body = bytes.length >= 3 && bytes[0] === BOM[0] && bytes[1] === BOM[1] && bytes[2] === BOM[2] ? bytes.subarray(3) : bytes;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(body);
  } catch {
    const bad = firstInvalidUtf8(body);
    const where = bad ? `${source}:${bad.line}:${bad.byte}` : source;
    const what = bad ? ` (byte 0x${body[bad.offset]!.toString(16).padStart(2, '0')})` : '';
    throw new Error(`${where}: not valid UTF-8 text${what}; save the file as UTF-8`);
  }
}
