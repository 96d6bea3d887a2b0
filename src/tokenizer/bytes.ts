// UTF-8 helpers shared by the tokenizers.

const encoder = new TextEncoder();
// ignoreBOM: a leading U+FEFF is text (e.g. Llama piece 29871+), not a byte-order mark to drop
const decoder = new TextDecoder('utf-8', { ignoreBOM: true });

export function utf8(s: string): Uint8Array {
  return encoder.encode(s);
}

/** Lenient UTF-8 decode (invalid sequences become U+FFFD). */
export function fromUtf8(b: Uint8Array): string {
  return decoder.decode(b);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** `<0xHH>` byte-fallback piece for a byte value. */
export function bytePiece(b: number): string {
  return `<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`;
}

/** The byte value of a `<0xHH>` piece, or -1. */
export function parseBytePiece(piece: string): number {
  const m = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
  return m ? parseInt(m[1]!, 16) : -1;
}
