// Little-endian byte reading/writing shared by the checkpoint formats. Every read is bounds-checked
// so a truncated file fails with its name and what was being read, not with a RangeError.
import { endianness } from 'node:os';

// Typed-array views over file bytes assume the host is little-endian, as every format here is.
if (endianness() !== 'LE') throw new Error('heed io: big-endian hosts are not supported');

/** A plain Uint8Array over the same memory: Node's Buffer overrides slice() to return a view, and the
 *  readers rely on slice() copying (fresh, aligned buffers the tensors can own). */
export function plainBytes(b: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(b) === Uint8Array.prototype ? b : new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

export class ByteReader {
  readonly view: DataView;
  pos = 0;

  readonly bytes: Uint8Array;

  constructor(
    bytes: Uint8Array,
    readonly file: string,
  ) {
    this.bytes = plainBytes(bytes);
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  fail(msg: string): never {
    throw new Error(`${this.file}: ${msg}`);
  }

  /** Reserves n bytes for `what` and returns where they start. */
  take(n: number, what: string): number {
    if (!Number.isSafeInteger(n) || n < 0 || n > this.remaining)
      this.fail(
        `truncated: ${what} needs ${n} bytes at offset ${this.pos}, only ${this.remaining} left (file is ${this.bytes.length} bytes)`,
      );
    const p = this.pos;
    this.pos += n;
    return p;
  }

  u8(what: string): number {
    return this.view.getUint8(this.take(1, what));
  }
  i8(what: string): number {
    return this.view.getInt8(this.take(1, what));
  }
  u16(what: string): number {
    return this.view.getUint16(this.take(2, what), true);
  }
  i16(what: string): number {
    return this.view.getInt16(this.take(2, what), true);
  }
  u32(what: string): number {
    return this.view.getUint32(this.take(4, what), true);
  }
  i32(what: string): number {
    return this.view.getInt32(this.take(4, what), true);
  }
  f32(what: string): number {
    return this.view.getFloat32(this.take(4, what), true);
  }
  f64(what: string): number {
    return this.view.getFloat64(this.take(8, what), true);
  }
  u64(what: string): bigint {
    return this.view.getBigUint64(this.take(8, what), true);
  }
  i64(what: string): bigint {
    return this.view.getBigInt64(this.take(8, what), true);
  }
  /** A u64 used as a size or count: must fit a JS number. */
  size(what: string): number {
    const v = this.u64(what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`${what} = ${v} is impossibly large`);
    return Number(v);
  }
  /** A copy of the next n bytes. */
  slice(n: number, what: string): Uint8Array {
    const p = this.take(n, what);
    return this.bytes.slice(p, p + n);
  }
}

/** Growable little-endian writer. Each write reserves first: reserve() may replace buf and view. */
export class ByteWriter {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  length = 0;

  private reserve(n: number): number {
    if (this.length + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.length + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.length));
      this.buf = next;
      this.view = new DataView(next.buffer);
    }
    const p = this.length;
    this.length += n;
    return p;
  }

  u8(v: number): void {
    const p = this.reserve(1);
    this.view.setUint8(p, v);
  }
  i8(v: number): void {
    const p = this.reserve(1);
    this.view.setInt8(p, v);
  }
  u16(v: number): void {
    const p = this.reserve(2);
    this.view.setUint16(p, v, true);
  }
  i16(v: number): void {
    const p = this.reserve(2);
    this.view.setInt16(p, v, true);
  }
  u32(v: number): void {
    const p = this.reserve(4);
    this.view.setUint32(p, v, true);
  }
  i32(v: number): void {
    const p = this.reserve(4);
    this.view.setInt32(p, v, true);
  }
  f32(v: number): void {
    const p = this.reserve(4);
    this.view.setFloat32(p, v, true);
  }
  f64(v: number): void {
    const p = this.reserve(8);
    this.view.setFloat64(p, v, true);
  }
  u64(v: bigint | number): void {
    const p = this.reserve(8);
    this.view.setBigUint64(p, BigInt(v), true);
  }
  i64(v: bigint | number): void {
    const p = this.reserve(8);
    this.view.setBigInt64(p, BigInt(v), true);
  }
  bytes(b: Uint8Array): void {
    const p = this.reserve(b.length); // reserve() may replace this.buf
    this.buf.set(b, p);
  }
  /** Zero bytes up to the next multiple of `align`. */
  pad(align: number): void {
    const n = (align - (this.length % align)) % align;
    this.reserve(n); // fresh capacity is zero-filled
  }
  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** Raw little-endian bytes of a Float32Array (a view, no copy). */
export function f32Bytes(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Float32Array copied out of `bytes` (the source offset need not be 4-byte aligned). */
export function f32FromBytes(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const out = new Float32Array(count);
  new Uint8Array(out.buffer).set(bytes.subarray(offset, offset + count * 4));
  return out;
}

/** Joins a writer's chunks into one buffer (for tests and in-memory use). */
export function concatChunks(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// Atomic writes live with the other file-system helpers; re-exported for existing importers.
export { writeFileAtomic } from './files.ts';
