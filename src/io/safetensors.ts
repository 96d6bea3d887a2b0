// safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?},
// then one byte buffer that the tensors must cover exactly (no gaps, no overlaps). Sharded checkpoints
// add model.safetensors.index.json mapping each tensor name to its shard file.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { plainBytes, writeFileAtomic } from './binary.ts';
import { decodeBF16, decodeF16, encodeBF16 } from './halfFloat.ts';
import type { NamedTensors } from './weights.ts';
import { numel } from './weights.ts';

export type SafetensorsDtype = 'F32' | 'F16' | 'BF16' | 'I32';
export type SafetensorsWriteDtype = 'F32' | 'BF16';

const DTYPE_BYTES: Record<SafetensorsDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4 };

export interface SafetensorsContents {
  tensors: NamedTensors;
  /** The dtype each tensor had on disk (all are returned as float32). */
  dtypes: Map<string, SafetensorsDtype>;
  metadata: Record<string, string>;
}

export interface SafetensorsWriteOptions {
  dtype?: SafetensorsWriteDtype;
  metadata?: Record<string, string>;
}

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function decode(dtype: SafetensorsDtype, raw: Uint8Array): Float32Array {
  // `raw` is a fresh copy, so its buffer is aligned for any typed-array view.
  switch (dtype) {
    case 'F32':
      return new Float32Array(raw.buffer, raw.byteOffset, raw.length / 4);
    case 'F16':
      return decodeF16(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2));
    case 'BF16':
      return decodeBF16(new Uint16Array(raw.buffer, raw.byteOffset, raw.length / 2));
    case 'I32':
      return Float32Array.from(new Int32Array(raw.buffer, raw.byteOffset, raw.length / 4)); // exact up to 2^24
  }
}

export function parseSafetensors(input: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const bytes = plainBytes(input);
  const fail = (msg: string): never => {
    throw new Error(`${file}: ${msg}`);
  };
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8))
    fail(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  const hlen = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen)));
  } catch (e) {
    fail(`header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (!isRecord(header)) return fail('header is not a JSON object');
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isRecord(v)) fail('__metadata__ is not an object');
      for (const [k, s] of Object.entries(v as Record<string, unknown>)) {
        if (typeof s !== 'string') fail(`__metadata__.${k} is not a string`);
        metadata[k] = s as string;
      }
      continue;
    }
    if (!isRecord(v)) return fail(`tensor ${name}: entry is not an object`);
    const { dtype, shape, data_offsets: offs } = v;
    if (typeof dtype !== 'string' || !(dtype in DTYPE_BYTES))
      fail(`tensor ${name}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    if (!Array.isArray(shape) || !shape.every(isSize)) fail(`tensor ${name}: shape ${JSON.stringify(shape)} is not a list of sizes`);
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every(isSize))
      fail(`tensor ${name}: data_offsets ${JSON.stringify(offs)} is not [begin, end]`);
    const [begin, end] = offs as [number, number];
    const dt = dtype as SafetensorsDtype;
    const shp = shape as number[];
    if (begin > end || end > dataLen)
      fail(`tensor ${name}: data_offsets [${begin}, ${end}] out of range of the ${dataLen}-byte data buffer`);
    const want = numel(shp) * DTYPE_BYTES[dt];
    if (end - begin !== want) fail(`tensor ${name}: ${end - begin} bytes but ${dt}[${shp}] needs ${want}`);
    entries.push({ name, dtype: dt, shape: shp, begin, end });
  }

  // The buffer must be covered exactly: sorted by offset, each tensor starts where the last ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  let prev = '(start of data)';
  for (const e of sorted) {
    if (e.begin < at) fail(`tensor ${e.name}: data_offsets [${e.begin}, ${e.end}] overlap ${prev} (ends at ${at})`);
    if (e.begin > at) fail(`tensor ${e.name}: gap of ${e.begin - at} bytes before it, after ${prev}`);
    at = e.end;
    prev = `tensor ${e.name}`;
  }
  if (at !== dataLen) fail(`${dataLen - at} bytes of data after ${prev} belong to no tensor`);

  const tensors: NamedTensors = new Map();
  const dtypes = new Map<string, SafetensorsDtype>();
  for (const e of entries) {
    const raw = bytes.slice(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { shape: [...e.shape], data: decode(e.dtype, raw) });
    dtypes.set(e.name, e.dtype);
  }
  return { tensors, dtypes, metadata };
}

export function readSafetensors(path: string): SafetensorsContents {
  return parseSafetensors(readFileSync(path), path);
}

/** The file as chunks: header, then each tensor's bytes (f32 chunks are views of the input). */
export function encodeSafetensors(tensors: NamedTensors, opts: SafetensorsWriteOptions = {}): Uint8Array[] {
  const dtype = opts.dtype ?? 'F32';
  const header: Record<string, unknown> = {};
  if (opts.metadata && Object.keys(opts.metadata).length) header.__metadata__ = opts.metadata;
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const [name, t] of tensors) {
    if (name === '__metadata__') throw new Error('safetensors writer: "__metadata__" is reserved, not a tensor name');
    if (t.data.length !== numel(t.shape)) throw new Error(`safetensors writer: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
    const bytes =
      dtype === 'F32' ? new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength) : new Uint8Array(encodeBF16(t.data).buffer);
    header[name] = { dtype, shape: t.shape, data_offsets: [off, off + bytes.length] };
    off += bytes.length;
    chunks.push(bytes);
  }
  let json = JSON.stringify(header);
  // Pad with spaces so the data starts 8-byte aligned, as the reference writer does.
  const jsonLen = new TextEncoder().encode(json).length;
  json += ' '.repeat((8 - ((8 + jsonLen) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const prefix = new Uint8Array(8);
  new DataView(prefix.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  return [prefix, headerBytes, ...chunks];
}

/** Writes atomically (path.tmp, then rename). */
export function writeSafetensors(path: string, tensors: NamedTensors, opts: SafetensorsWriteOptions = {}): void {
  writeFileAtomic(path, encodeSafetensors(tensors, opts));
}

export interface ShardIndex {
  metadata?: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** Reads the shards a `model.safetensors.index.json` names and checks each holds exactly its tensors. */
export function readShardedSafetensors(indexPath: string, dir = join(indexPath, '..')): SafetensorsContents {
  let idx: unknown;
  try {
    idx = JSON.parse(readFileSync(indexPath, 'utf8'));
  } catch (e) {
    throw new Error(`${indexPath}: cannot read shard index (${(e as Error).message})`);
  }
  if (!isRecord(idx) || !isRecord(idx.weight_map)) throw new Error(`${indexPath}: no "weight_map" object`);
  const byShard = new Map<string, string[]>();
  for (const [name, shard] of Object.entries(idx.weight_map)) {
    if (typeof shard !== 'string' || shard.includes('/') || shard.includes('\\'))
      throw new Error(`${indexPath}: tensor ${name} maps to invalid shard ${JSON.stringify(shard)}`);
    byShard.set(shard, [...(byShard.get(shard) ?? []), name]);
  }
  const out: SafetensorsContents = { tensors: new Map(), dtypes: new Map(), metadata: {} };
  for (const [shard, names] of byShard) {
    const path = join(dir, shard);
    const part = readSafetensors(path);
    const missing = names.filter((n) => !part.tensors.has(n));
    if (missing.length) throw new Error(`${path}: missing tensors the index assigns to it: ${missing.join(', ')}`);
    for (const n of names) {
      out.tensors.set(n, part.tensors.get(n)!);
      out.dtypes.set(n, part.dtypes.get(n)!);
    }
    const extra = [...part.tensors.keys()].filter((n) => !names.includes(n));
    if (extra.length) throw new Error(`${path}: tensors not in the index ${indexPath}: ${extra.join(', ')}`);
    Object.assign(out.metadata, part.metadata);
  }
  return out;
}

export interface DirWriteOptions extends SafetensorsWriteOptions {
  /** Split into shards of at most this many tensor bytes (a single larger tensor gets its own shard). */
  maxShardBytes?: number;
}

/**
 * Writes `model.safetensors`, or numbered shards plus the index when maxShardBytes forces a split.
 * Removes the other kind of entry point if present, so the directory never holds two.
 * Returns the file names written.
 */
export function writeSafetensorsDir(dir: string, tensors: NamedTensors, opts: DirWriteOptions = {}): string[] {
  const bytesPer = (opts.dtype ?? 'F32') === 'F32' ? 4 : 2;
  const max = opts.maxShardBytes ?? Infinity;
  const shards: NamedTensors[] = [];
  let cur: NamedTensors = new Map();
  let curBytes = 0;
  let total = 0;
  for (const [name, t] of tensors) {
    const b = t.data.length * bytesPer;
    if (cur.size && curBytes + b > max) {
      shards.push(cur);
      cur = new Map();
      curBytes = 0;
    }
    cur.set(name, t);
    curBytes += b;
    total += b;
  }
  shards.push(cur);
  if (shards.length === 1) {
    writeSafetensors(join(dir, SINGLE_FILE), tensors, opts);
    rmSync(join(dir, INDEX_FILE), { force: true });
    return [SINGLE_FILE];
  }
  const n = shards.length;
  const pad = (k: number): string => String(k).padStart(5, '0');
  const files: string[] = [];
  const index: ShardIndex = { metadata: { total_size: total }, weight_map: {} };
  shards.forEach((s, k) => {
    const file = `model-${pad(k + 1)}-of-${pad(n)}.safetensors`;
    writeSafetensors(join(dir, file), s, opts);
    for (const name of s.keys()) index.weight_map[name] = file;
    files.push(file);
  });
  writeFileAtomic(join(dir, INDEX_FILE), [new TextEncoder().encode(JSON.stringify(index, null, 2) + '\n')]);
  rmSync(join(dir, SINGLE_FILE), { force: true });
  return [...files, INDEX_FILE];
}

/** Reads `model.safetensors` or, failing that, the sharded index in `dir`. */
export function readSafetensorsDir(dir: string): SafetensorsContents {
  const single = join(dir, SINGLE_FILE);
  const index = join(dir, INDEX_FILE);
  const hasSingle = existsSync(single);
  const hasIndex = existsSync(index);
  if (hasSingle && hasIndex) throw new Error(`${dir}: holds both ${SINGLE_FILE} and ${INDEX_FILE}; remove one`);
  if (hasSingle) return readSafetensors(single);
  if (hasIndex) return readShardedSafetensors(index, dir);
  throw new Error(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}`);
}
