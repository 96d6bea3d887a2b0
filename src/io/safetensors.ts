// safetensors: u64 LE header length, a JSON header {name: {dtype, shape, data_offsets}, __metadata__?},
// then one byte buffer that the tensors must cover exactly (no gaps, no overlaps). Sharded checkpoints
// add model.safetensors.index.json mapping each tensor name to its shard file.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { plainBytes } from './binary.ts';
import { namingErrors, parseJson, pathExists, readFileBytes, readJsonFile, writeFileAtomic } from './files.ts';
import { JsonFields, hasOwnKey, show } from './jsonFields.ts';
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

/** The reference implementation's limit: a larger header is corrupt, and would be costly to parse. */
export const MAX_HEADER_BYTES = 100_000_000;

export function parseSafetensors(input: Uint8Array, file = '<buffer>'): SafetensorsContents {
  const bytes = plainBytes(input);
  const j = new JsonFields(file);
  const fail = (msg: string): never => j.fail(msg);
  if (bytes.length < 8) fail(`not a safetensors file: ${bytes.length} bytes is shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) fail(`header length ${headerLen} runs past the end of the file (${bytes.length} bytes)`);
  if (headerLen > BigInt(MAX_HEADER_BYTES)) fail(`header length ${headerLen} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes`);
  const hlen = Number(headerLen);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + hlen));
  } catch {
    return fail('the JSON header is not valid UTF-8');
  }
  const header = j.object(parseJson(text, file, 'JSON header'), 'the JSON header');
  const dataStart = 8 + hlen;
  const dataLen = bytes.length - dataStart;

  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafetensorsDtype; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, v] of Object.entries(header)) {
    if (name === '__metadata__') {
      for (const [k, s] of Object.entries(j.object(v, '__metadata__'))) metadata[k] = j.string(s, `__metadata__.${k}`);
      continue;
    }
    const where = `tensor ${name}`;
    const e = j.object(v, where);
    const dtype = j.string(j.need(e, 'dtype', where), `${where}: dtype`);
    if (!hasOwnKey(DTYPE_BYTES, dtype))
      fail(`${where}: unsupported dtype ${JSON.stringify(dtype)} (supported: ${Object.keys(DTYPE_BYTES).join(', ')})`);
    const dt = dtype as SafetensorsDtype;
    const shape = j.array(j.need(e, 'shape', where), `${where}: shape`).map((d, k) => j.int(d, `${where}: shape[${k}]`));
    const offs = j.array(j.need(e, 'data_offsets', where), `${where}: data_offsets`);
    if (offs.length !== 2) fail(`${where}: data_offsets ${show(offs)} is not [begin, end]`);
    const begin = j.int(offs[0], `${where}: data_offsets[0]`);
    const end = j.int(offs[1], `${where}: data_offsets[1]`);
    if (begin > end || end > dataLen) fail(`${where}: data_offsets [${begin}, ${end}] out of range of the ${dataLen}-byte data buffer`);
    const want = numel(shape) * DTYPE_BYTES[dt];
    if (!Number.isSafeInteger(want)) fail(`${where}: shape [${shape}] is impossibly large`);
    if (end - begin !== want) fail(`${where}: ${end - begin} bytes but ${dt}[${shape}] needs ${want}`);
    entries.push({ name, dtype: dt, shape, begin, end });
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
  return parseSafetensors(readFileBytes(path, 'safetensors file'), path);
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
    if (t.data.length !== numel(t.shape))
      throw new Error(`safetensors writer: tensor ${name} has ${t.data.length} values for shape [${t.shape}]`);
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
  writeFileAtomic(
    path,
    namingErrors(path, () => encodeSafetensors(tensors, opts)),
  );
}

export interface ShardIndex {
  metadata?: Record<string, unknown>;
  weight_map: Record<string, string>;
}

/** Reads the shards a `model.safetensors.index.json` names and checks each holds exactly its tensors. */
export function readShardedSafetensors(indexPath: string, dir = join(indexPath, '..')): SafetensorsContents {
  const j = new JsonFields(indexPath);
  const idx = j.object(readJsonFile(indexPath, 'shard index'), 'the shard index');
  const weightMap = j.object(j.need(idx, 'weight_map', 'the shard index'), 'weight_map');
  const byShard = new Map<string, string[]>();
  for (const [name, v] of Object.entries(weightMap)) {
    const shard = j.string(v, `weight_map.${name}`);
    if (shard === '' || shard === '.' || shard === '..' || shard.includes('/') || shard.includes('\\'))
      j.fail(`tensor ${name} maps to invalid shard ${JSON.stringify(shard)} (must be a file name in the same directory)`);
    const list = byShard.get(shard);
    if (list) list.push(name);
    else byShard.set(shard, [name]);
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
    const assigned = new Set(names);
    const extra = [...part.tensors.keys()].filter((n) => !assigned.has(n));
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
  writeFileAtomic(join(dir, INDEX_FILE), [new TextEncoder().encode(`${JSON.stringify(index, null, 2)}\n`)]);
  rmSync(join(dir, SINGLE_FILE), { force: true });
  return [...files, INDEX_FILE];
}

/**
 * Reads a checkpoint directory's weights: `model.safetensors` or, failing that, the sharded index
 * in `dir`. Model weights are floating point: an integer tensor here means a corrupt dtype (I32
 * read as weights would silently reinterpret float bits), so it is refused.
 */
export function readSafetensorsDir(dir: string): SafetensorsContents {
  const single = join(dir, SINGLE_FILE);
  const index = join(dir, INDEX_FILE);
  const hasSingle = pathExists(single);
  const hasIndex = pathExists(index);
  if (hasSingle && hasIndex) throw new Error(`${dir}: holds both ${SINGLE_FILE} and ${INDEX_FILE}; remove one`);
  if (!hasSingle && !hasIndex) throw new Error(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}`);
  const out = hasSingle ? readSafetensors(single) : readShardedSafetensors(index, dir);
  for (const [name, dtype] of out.dtypes)
    if (dtype === 'I32')
      throw new Error(`${hasSingle ? single : index}: tensor ${name} is ${dtype}; checkpoint weights must be F32, F16 or BF16`);
  return out;
}
