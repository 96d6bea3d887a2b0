// The GGUF container (v3; v2 reads the same): magic "GGUF", version, tensor and KV counts, typed
// metadata, tensor infos, then tensor data at offsets aligned to general.alignment (default 32).
// Model-agnostic; src/io/gguf.ts maps Llama models onto it.
import { ByteReader, ByteWriter, f32Bytes, f32FromBytes } from './binary.ts';
import { decodeBF16, decodeF16, encodeF16 } from './halfFloat.ts';
import { numel } from './weights.ts';

export type GGUFNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
export type GGUFBigType = 'uint64' | 'int64';
export type GGUFValueType = GGUFNumberType | GGUFBigType | 'bool' | 'string' | 'array';

export type GGUFArray =
  | { type: 'array'; itemType: GGUFNumberType; value: number[] }
  | { type: 'array'; itemType: GGUFBigType; value: bigint[] }
  | { type: 'array'; itemType: 'bool'; value: boolean[] }
  | { type: 'array'; itemType: 'string'; value: string[] }
  | { type: 'array'; itemType: 'array'; value: GGUFArray[] };

/** A metadata value with its GGUF type, so a read → write round trip keeps every type exactly. */
export type GGUFValue =
  | { type: GGUFNumberType; value: number }
  | { type: GGUFBigType; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | GGUFArray;

export type GGUFMetadata = Map<string, GGUFValue>;

const TYPE_CODES: Record<GGUFValueType, number> = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
};
const TYPE_NAMES = Object.fromEntries(Object.entries(TYPE_CODES).map(([k, v]) => [v, k])) as Record<number, GGUFValueType>;
/** Smallest encoding of one value of each type, to reject impossible counts before allocating. */
const MIN_BYTES: Record<GGUFValueType, number> = {
  uint8: 1,
  int8: 1,
  bool: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  uint64: 8,
  int64: 8,
  float64: 8,
  string: 8,
  array: 12,
};

export type GGMLTensorType = 'F32' | 'F16' | 'BF16';
const GGML_CODES: Record<GGMLTensorType, number> = { F32: 0, F16: 1, BF16: 30 };
const GGML_BYTES: Record<GGMLTensorType, number> = { F32: 4, F16: 2, BF16: 2 };

export interface GGUFTensor {
  name: string;
  /** Row-major, outermost first: the reverse of GGUF's ne[] (whose ne[0] varies fastest). */
  shape: number[];
  type: GGMLTensorType;
  data: Float32Array;
}

export interface GGUFFile {
  version: number;
  alignment: number;
  metadata: GGUFMetadata;
  tensors: GGUFTensor[];
}

export const GGUF_DEFAULT_ALIGNMENT = 32;
export const GGUF_MAGIC = 0x46554747; // "GGUF" read as a little-endian u32
const MAX_DIMS = 4;

function alignmentOf(metadata: GGUFMetadata, fail: (m: string) => never): number {
  const a = metadata.get('general.alignment');
  if (!a) return GGUF_DEFAULT_ALIGNMENT;
  if (a.type !== 'uint32') return fail(`general.alignment must be uint32, is ${a.type}`);
  if (a.value === 0 || (a.value & (a.value - 1)) !== 0) return fail(`general.alignment ${a.value} is not a power of two`);
  return a.value;
}

// ---- reading ----

function readScalar(r: ByteReader, type: Exclude<GGUFValueType, 'array'>, what: string): GGUFValue {
  switch (type) {
    case 'uint8':
      return { type, value: r.u8(what) };
    case 'int8':
      return { type, value: r.i8(what) };
    case 'uint16':
      return { type, value: r.u16(what) };
    case 'int16':
      return { type, value: r.i16(what) };
    case 'uint32':
      return { type, value: r.u32(what) };
    case 'int32':
      return { type, value: r.i32(what) };
    case 'float32':
      return { type, value: r.f32(what) };
    case 'float64':
      return { type, value: r.f64(what) };
    case 'uint64':
      return { type, value: r.u64(what) };
    case 'int64':
      return { type, value: r.i64(what) };
    case 'bool': {
      const b = r.u8(what);
      if (b > 1) r.fail(`${what}: bool byte is ${b}, not 0 or 1`);
      return { type, value: b === 1 };
    }
    case 'string':
      return { type, value: readString(r, what) };
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function readString(r: ByteReader, what: string): string {
  const n = r.size(`${what} length`);
  const p = r.take(n, what);
  try {
    return utf8.decode(r.bytes.subarray(p, p + n));
  } catch {
    return r.fail(`${what} is not valid UTF-8`);
  }
}

function readType(r: ByteReader, what: string): GGUFValueType {
  const code = r.u32(`${what} type`);
  const t = TYPE_NAMES[code];
  if (t === undefined) return r.fail(`${what}: unknown value type ${code}`);
  return t;
}

/** Arrays of arrays deeper than this are corrupt (llama.cpp's own files never nest at all). */
export const GGUF_MAX_NESTING = 8;

function readArray(r: ByteReader, what: string, depth: number): GGUFArray {
  if (depth > GGUF_MAX_NESTING) r.fail(`${what}: arrays nested more than ${GGUF_MAX_NESTING} deep`);
  const itemType = readType(r, `${what} item`);
  const n = r.size(`${what} length`);
  if (n * MIN_BYTES[itemType] > r.remaining) r.fail(`truncated: ${what} claims ${n} ${itemType} items, only ${r.remaining} bytes left`);
  if (itemType === 'array') {
    const value: GGUFArray[] = [];
    for (let i = 0; i < n; i++) value.push(readArray(r, `${what}[${i}]`, depth + 1));
    return { type: 'array', itemType, value };
  }
  const value: unknown[] = [];
  for (let i = 0; i < n; i++) value.push(readScalar(r, itemType, `${what}[${i}]`).value);
  return { type: 'array', itemType, value } as GGUFArray; // every item was read as itemType
}

function readValue(r: ByteReader, what: string): GGUFValue {
  const type = readType(r, what);
  return type === 'array' ? readArray(r, what, 1) : readScalar(r, type, what);
}

export function parseGGUF(bytes: Uint8Array, file = '<buffer>'): GGUFFile {
  const r = new ByteReader(bytes, file);
  if (bytes.length < 4 || r.u32('magic') !== GGUF_MAGIC) {
    const got = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    r.fail(`not a GGUF file: magic is [${got}], expected "GGUF" (47 47 55 46)`);
  }
  const version = r.u32('version');
  if (version !== 2 && version !== 3) r.fail(`unsupported GGUF version ${version} (supported: 2, 3)`);
  const nTensors = r.size('tensor count');
  const nKv = r.size('metadata count');
  if (nKv * (8 + 4 + 1) > r.remaining) r.fail(`truncated or corrupt: metadata count ${nKv} cannot fit in ${r.remaining} bytes`);
  const metadata: GGUFMetadata = new Map();
  for (let i = 0; i < nKv; i++) {
    const key = readString(r, `metadata key #${i}`);
    if (metadata.has(key)) r.fail(`duplicate metadata key ${key}`);
    metadata.set(key, readValue(r, `metadata ${key}`));
  }
  const alignment = alignmentOf(metadata, (m) => r.fail(m));

  if (nTensors * (8 + 4 + 8 + 4 + 8) > r.remaining)
    r.fail(`truncated or corrupt: tensor count ${nTensors} cannot fit in ${r.remaining} bytes`);
  const infos: { name: string; shape: number[]; type: GGMLTensorType; offset: number; nbytes: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < nTensors; i++) {
    const name = readString(r, `tensor #${i} name`);
    if (names.has(name)) r.fail(`duplicate tensor ${name}`);
    names.add(name);
    const nDims = r.u32(`tensor ${name} dim count`);
    if (nDims < 1 || nDims > MAX_DIMS) r.fail(`tensor ${name}: ${nDims} dims (must be 1..${MAX_DIMS})`);
    const ne = Array.from({ length: nDims }, (_, k) => r.size(`tensor ${name} ne[${k}]`));
    const code = r.u32(`tensor ${name} type`);
    const type = (Object.keys(GGML_CODES) as GGMLTensorType[]).find((t) => GGML_CODES[t] === code);
    if (!type) r.fail(`tensor ${name}: ggml type ${code} is not supported (only F32, F16, BF16; quantized types are not)`);
    const offset = r.size(`tensor ${name} offset`);
    if (offset % alignment !== 0) r.fail(`tensor ${name}: offset ${offset} is not a multiple of the alignment ${alignment}`);
    const shape = ne.reverse();
    const nbytes = numel(shape) * GGML_BYTES[type!];
    if (!Number.isSafeInteger(nbytes)) r.fail(`tensor ${name}: shape [${shape}] is impossibly large`);
    infos.push({ name, shape, type: type!, offset, nbytes });
  }
  const dataStart = Math.ceil(r.pos / alignment) * alignment;
  const dataLen = bytes.length - dataStart;
  const byOffset = [...infos].sort((a, b) => a.offset - b.offset);
  let end = 0;
  let prev = '';
  // Writers lay tensors out back to back, each padded with zeros to the alignment, after zero
  // padding that ends the tensor infos. A gap or tail of a whole alignment unit, or padding that is
  // not zero, means the offsets (or the metadata before them) are not what was written.
  const padding = (from: number, to: number, where: string): void => {
    if (to - from >= alignment) r.fail(`${to - from} bytes ${where} belong to no tensor (padding is less than the alignment ${alignment})`);
    for (let i = Math.max(from, 0); i < Math.min(to, bytes.length); i++)
      if (bytes[i] !== 0) r.fail(`the padding ${where} holds a non-zero byte at offset ${i}: the tensor infos do not describe this file`);
  };
  padding(r.pos, Math.min(dataStart, bytes.length), 'after the tensor infos');
  for (const t of byOffset) {
    if (t.offset < end) r.fail(`tensor ${t.name}: data at offset ${t.offset} overlaps tensor ${prev} (ends at ${end})`);
    padding(dataStart + end, dataStart + t.offset, `before tensor ${t.name}`);
    end = t.offset + t.nbytes;
    prev = t.name;
    if (end > dataLen)
      r.fail(`truncated: tensor ${t.name} needs data bytes [${t.offset}, ${end}) but the data section has ${Math.max(0, dataLen)} bytes`);
  }
  padding(dataStart + end, bytes.length, "after the last tensor's data");
  const tensors = infos.map(({ name, shape, type, offset, nbytes }): GGUFTensor => {
    const at = dataStart + offset;
    const n = numel(shape);
    if (type === 'F32') return { name, shape, type, data: f32FromBytes(bytes, at, n) };
    const halves = new Uint16Array(n);
    new Uint8Array(halves.buffer).set(bytes.subarray(at, at + nbytes));
    return { name, shape, type, data: type === 'F16' ? decodeF16(halves) : decodeBF16(halves) };
  });
  return { version, alignment, metadata, tensors };
}

// ---- writing ----

function writeString(w: ByteWriter, s: string): void {
  const b = new TextEncoder().encode(s);
  w.u64(b.length);
  w.bytes(b);
}

function writeScalar(w: ByteWriter, v: Exclude<GGUFValue, GGUFArray>): void {
  switch (v.type) {
    case 'uint8':
      return w.u8(v.value);
    case 'int8':
      return w.i8(v.value);
    case 'uint16':
      return w.u16(v.value);
    case 'int16':
      return w.i16(v.value);
    case 'uint32':
      return w.u32(v.value);
    case 'int32':
      return w.i32(v.value);
    case 'float32':
      return w.f32(v.value);
    case 'float64':
      return w.f64(v.value);
    case 'uint64':
      return w.u64(v.value);
    case 'int64':
      return w.i64(v.value);
    case 'bool':
      return w.u8(v.value ? 1 : 0);
    case 'string':
      return writeString(w, v.value);
  }
}

/** Integer types must hold their value exactly; DataView would silently wrap out-of-range numbers. */
const INT_RANGES: Partial<Record<GGUFValueType, [bigint, bigint]>> = {
  uint8: [0n, 255n],
  int8: [-128n, 127n],
  uint16: [0n, 65535n],
  int16: [-32768n, 32767n],
  uint32: [0n, 4294967295n],
  int32: [-2147483648n, 2147483647n],
  uint64: [0n, 2n ** 64n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
};

function checkValue(type: GGUFValueType, value: unknown, what: string): void {
  const range = INT_RANGES[type];
  if (range) {
    const big = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isInteger(value) ? BigInt(value) : undefined;
    if (big === undefined || big < range[0] || big > range[1])
      throw new Error(`GGUF writer: ${what} = ${String(value)} does not fit ${type}`);
  }
}

function writeValue(w: ByteWriter, v: GGUFValue, what: string): void {
  w.u32(TYPE_CODES[v.type]);
  if (v.type !== 'array') {
    checkValue(v.type, v.value, what);
    return writeScalar(w, v);
  }
  w.u32(TYPE_CODES[v.itemType]);
  w.u64(v.value.length);
  if (v.itemType === 'array') {
    (v.value as GGUFArray[]).forEach((item, i) => {
      const sub = new ByteWriter();
      writeValue(sub, item, `${what}[${i}]`);
      w.bytes(sub.finish().subarray(4)); // nested items carry no type tag of their own
    });
    return;
  }
  const itemType = v.itemType;
  v.value.forEach((x, i) => {
    checkValue(itemType, x, `${what}[${i}]`);
    writeScalar(w, { type: itemType, value: x } as Exclude<GGUFValue, GGUFArray>);
  });
}

/** The file as chunks (F32 tensor chunks are views of the input data). Alignment comes from general.alignment. */
export function encodeGGUF(metadata: GGUFMetadata, tensors: readonly GGUFTensor[]): Uint8Array[] {
  const fail = (m: string): never => {
    throw new Error(`GGUF writer: ${m}`);
  };
  const alignment = alignmentOf(metadata, fail);
  const w = new ByteWriter();
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(tensors.length);
  w.u64(metadata.size);
  for (const [k, v] of metadata) {
    writeString(w, k);
    writeValue(w, v, `metadata ${k}`);
  }
  const datas: Uint8Array[] = [];
  let offset = 0;
  const names = new Set<string>();
  for (const t of tensors) {
    if (names.has(t.name)) fail(`duplicate tensor ${t.name}`);
    names.add(t.name);
    if (t.shape.length < 1 || t.shape.length > MAX_DIMS) fail(`tensor ${t.name}: ${t.shape.length} dims (must be 1..${MAX_DIMS})`);
    if (t.data.length !== numel(t.shape)) fail(`tensor ${t.name} has ${t.data.length} values for shape [${t.shape}]`);
    if (t.type === 'BF16') fail(`tensor ${t.name}: writing BF16 is not supported (use F32 or F16)`);
    writeString(w, t.name);
    w.u32(t.shape.length);
    for (const d of [...t.shape].reverse()) w.u64(d);
    w.u32(GGML_CODES[t.type]);
    w.u64(offset);
    const data = t.type === 'F32' ? f32Bytes(t.data) : new Uint8Array(encodeF16(t.data).buffer);
    const pad = (alignment - (data.length % alignment)) % alignment;
    datas.push(data, new Uint8Array(pad));
    offset += data.length + pad;
  }
  w.pad(alignment);
  return [w.finish(), ...datas];
}
