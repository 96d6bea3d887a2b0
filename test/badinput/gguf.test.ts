// Corrupted GGUF files written from stories260K: every one either loads as the original model and
// vocabulary or is refused fast, naming the file; `heed convert` fails the same way and leaves
// nothing at its output path. Fields are located by walking the file (test-only walker below).
import { writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Corpus } from './corpus.ts';
import { freshPath, judgeConvert, judgeLoad, makeCorpus, readBytes, setU32, setU64 } from './corpus.ts';

const c: Corpus = makeCorpus();
const gguf = readBytes(c.gguf);

/** Byte sizes of GGUF scalar types by type code (string and array are variable). */
const SCALAR_BYTES: Record<number, number> = { 0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8 };

interface KV {
  key: string;
  start: number;
  end: number;
  keyLenAt: number;
  typeAt: number;
  type: number;
  valueAt: number;
  /** For arrays: where the item type and the count sit. */
  itemTypeAt?: number;
  countAt?: number;
}
interface TensorInfo {
  name: string;
  nDimsAt: number;
  neAt: number[];
  typeAt: number;
  offsetAt: number;
}

/** Walks a well-formed GGUF file, recording where each field sits. */
function walk(b: Uint8Array): { kvs: KV[]; tensors: TensorInfo[] } {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  let o = 24;
  const str = (): string => {
    const n = Number(v.getBigUint64(o, true));
    const s = new TextDecoder().decode(b.subarray(o + 8, o + 8 + n));
    o += 8 + n;
    return s;
  };
  const skipValue = (type: number): void => {
    if (type === 8) str();
    else if (type === 9) {
      const it = v.getUint32(o, true);
      const n = Number(v.getBigUint64(o + 4, true));
      o += 12;
      for (let i = 0; i < n; i++) skipValue(it);
    } else o += SCALAR_BYTES[type]!;
  };
  const kvs: KV[] = [];
  const nKv = Number(v.getBigUint64(16, true));
  for (let i = 0; i < nKv; i++) {
    const start = o;
    const keyLenAt = o;
    const key = str();
    const typeAt = o;
    const type = v.getUint32(o, true);
    o += 4;
    const kv: KV = { key, start, end: 0, keyLenAt, typeAt, type, valueAt: o };
    if (type === 9) {
      kv.itemTypeAt = o;
      kv.countAt = o + 4;
    }
    skipValue(type);
    kv.end = o;
    kvs.push(kv);
  }
  const tensors: TensorInfo[] = [];
  const nT = Number(v.getBigUint64(8, true));
  for (let i = 0; i < nT; i++) {
    const name = str();
    const nDimsAt = o;
    const nd = v.getUint32(o, true);
    o += 4;
    const neAt = Array.from({ length: nd }, (_, k) => o + 8 * k);
    o += 8 * nd;
    tensors.push({ name, nDimsAt, neAt, typeAt: o, offsetAt: o + 4 });
    o += 12;
  }
  return { kvs, tensors };
}
const { kvs, tensors } = walk(gguf);
// Keys whose values other data in the file constrains. Free hyperparameters (context length, RoPE
// theta, norm eps) are not fuzzed: no format stores them twice, so another valid value is a
// different model that nothing in the file contradicts.
const STRUCTURAL = [
  'llama.vocab_size',
  'llama.embedding_length',
  'llama.block_count',
  'llama.feed_forward_length',
  'llama.attention.head_count',
  'llama.attention.head_count_kv',
  'llama.rope.dimension_count',
  'tokenizer.ggml.bos_token_id',
  'tokenizer.ggml.eos_token_id',
  'general.alignment',
  'general.architecture',
  'tokenizer.ggml.model',
];
const kvIdx = fc.integer({ min: 0, max: kvs.length - 1 });
const structuralKv = fc.constantFrom(
  ...kvs.map((k, i) => (STRUCTURAL.includes(k.key) || k.key.startsWith('tokenizer.ggml.') ? i : -1)).filter((i) => i >= 0),
);
const u32Value = fc.oneof(
  fc.constantFrom(0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 31, 33, 64, 100, 511, 512, 513, 10 ** 6, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1),
  fc.nat(),
);
const u64Value = fc.oneof(
  fc.constantFrom(0n, 1n, 2n, 3n, 8n, 512n, 10n ** 6n, 2n ** 31n - 1n, 2n ** 32n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

type Mutation =
  | { kind: 'truncate'; at: number }
  | { kind: 'version' | 'type code' | 'item type' | 'tensor type' | 'n_dims'; at: number; v: number }
  | { kind: 'count' | 'ne' | 'tensor offset' | 'string length'; at: number; v: bigint }
  | { kind: 'scalar'; kv: number; v: number }
  | { kind: 'drop key'; kv: number }
  | { kind: 'duplicate key'; kv: number }
  | { kind: 'nested array'; depth: number };

export const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('truncate' as const), at: fc.integer({ min: 0, max: gguf.length - 1 }) }),
  fc.record({ kind: fc.constant('version' as const), at: fc.constant(4), v: u32Value }),
  fc.record({ kind: fc.constant('count' as const), at: fc.constantFrom(8, 16), v: u64Value }),
  fc.record({ kind: fc.constant('type code' as const), at: kvIdx.map((i) => kvs[i]!.typeAt), v: fc.integer({ min: 0, max: 14 }) }),
  fc.record({ kind: fc.constant('string length' as const), at: kvIdx.map((i) => kvs[i]!.keyLenAt), v: u64Value }),
  fc.record({ kind: fc.constant('scalar' as const), kv: structuralKv, v: u32Value }),
  fc.record({ kind: fc.constant('drop key' as const), kv: kvIdx }),
  fc.record({ kind: fc.constant('duplicate key' as const), kv: kvIdx }),
  fc.record({ kind: fc.constant('n_dims' as const), at: fc.constantFrom(...tensors.map((t) => t.nDimsAt)), v: u32Value }),
  fc.record({ kind: fc.constant('ne' as const), at: fc.constantFrom(...tensors.flatMap((t) => t.neAt)), v: u64Value }),
  fc.record({
    kind: fc.constant('tensor type' as const),
    at: fc.constantFrom(...tensors.map((t) => t.typeAt)),
    v: fc.oneof(fc.constantFrom(0, 1, 2, 8, 30, 99), fc.nat()),
  }),
  fc.record({ kind: fc.constant('tensor offset' as const), at: fc.constantFrom(...tensors.map((t) => t.offsetAt)), v: u64Value }),
  fc.record({ kind: fc.constant('nested array' as const), depth: fc.constantFrom(2, 9, 100, 100_000) }),
  ...kvs.flatMap((k) =>
    k.countAt !== undefined
      ? [
          fc.record({ kind: fc.constant('count' as const), at: fc.constant(k.countAt), v: u64Value }),
          fc.record({ kind: fc.constant('item type' as const), at: fc.constant(k.itemTypeAt!), v: fc.integer({ min: 0, max: 14 }) }),
        ]
      : [],
  ),
);

function splice(b: Uint8Array, start: number, end: number, insert: Uint8Array, kvDelta: number): Uint8Array {
  const out = new Uint8Array(b.length - (end - start) + insert.length);
  out.set(b.subarray(0, start));
  out.set(insert, start);
  out.set(b.subarray(end), start + insert.length);
  const v = new DataView(out.buffer);
  v.setBigUint64(16, v.getBigUint64(16, true) + BigInt(kvDelta), true);
  return out;
}

/** A metadata entry "heed.nested" holding arrays nested `depth` deep (each level one item). */
function nestedKv(depth: number): Uint8Array {
  const key = new TextEncoder().encode('heed.nested');
  const out = new Uint8Array(8 + key.length + 4 + 12 * depth + 4 + 8);
  const v = new DataView(out.buffer);
  let o = 0;
  v.setBigUint64(o, BigInt(key.length), true);
  out.set(key, 8);
  o += 8 + key.length;
  v.setUint32(o, 9, true); // array
  o += 4;
  for (let d = 1; d < depth; d++) {
    v.setUint32(o, 9, true); // of arrays
    v.setBigUint64(o + 4, 1n, true);
    o += 12;
  }
  v.setUint32(o, 4, true); // innermost: one uint32
  v.setBigUint64(o + 4, 1n, true);
  v.setUint32(o + 12, 7, true);
  return out.subarray(0, o + 16);
}

export function apply(m: Mutation): Uint8Array {
  if (m.kind === 'truncate') return gguf.slice(0, m.at);
  if (m.kind === 'drop key') return splice(gguf, kvs[m.kv]!.start, kvs[m.kv]!.end, new Uint8Array(0), -1);
  if (m.kind === 'duplicate key') {
    const k = kvs[m.kv]!;
    return splice(gguf, k.end, k.end, gguf.slice(k.start, k.end), 1);
  }
  if (m.kind === 'nested array') return splice(gguf, kvs[0]!.start, kvs[0]!.start, nestedKv(m.depth), 1);
  const b = gguf.slice();
  switch (m.kind) {
    case 'scalar': {
      const k = kvs[m.kv]!;
      // A special-token id set to another id in the vocabulary is a valid, different tokenizer that
      // nothing else in the file contradicts (like the free hyperparameters above): only ids past
      // the vocabulary are corruptions, and those must be refused.
      if (k.key.endsWith('_token_id')) m = { ...m, v: c.tokenizer.vocabSize + (m.v % 1024) };
      const size = SCALAR_BYTES[k.type];
      if (size === 4) setU32(b, k.valueAt, m.v);
      else if (size === 8) setU64(b, k.valueAt, BigInt(m.v));
      else if (k.type === 8)
        setU64(b, k.valueAt, BigInt(m.v)); // a string's length
      else if (k.countAt !== undefined) setU64(b, k.countAt, BigInt(m.v));
      else b[k.valueAt] = m.v & 0xff;
      return b;
    }
    case 'count':
    case 'ne':
    case 'tensor offset':
    case 'string length':
      setU64(b, m.at, m.v);
      return b;
    default:
      setU32(b, m.at, m.v);
      return b;
  }
}

describe('corrupted GGUF files: load as the original or refused, naming the file', () => {
  it('truncations, header counts, value types, scalar values, array counts, dropped/duplicated keys, nesting, tensor infos', async () => {
    const outcomes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(mutation, fc.constantFrom('hf' as const, 'gguf' as const, 'llama2c' as const), async (m, to) => {
        const path = freshPath(c, 'model.gguf');
        writeFileSync(path, apply(m));
        const outcome = judgeLoad(c, path, undefined, [path]);
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        await judgeConvert(path, undefined, to, outcome, [path]);
      }),
      { numRuns: 80 },
    );
    // most corruptions change the model: the property must have seen many refusals
    expect(outcomes.get('refused') ?? 0).toBeGreaterThan(40);
  });
});
