import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatChunks } from '../../src/io/binary.ts';
import { roundBF16 } from '../../src/io/halfFloat.ts';
import {
  INDEX_FILE,
  SINGLE_FILE,
  encodeSafetensors,
  parseSafetensors,
  readSafetensors,
  readSafetensorsDir,
  writeSafetensors,
  writeSafetensorsDir,
} from '../../src/io/safetensors.ts';
import type { NamedTensors } from '../../src/io/weights.ts';
import { numel } from '../../src/io/weights.ts';
import { expectSameWeights, randomFloats, tempDir } from './fixtures.ts';

const dir = tempDir();

/** A safetensors file assembled by hand, independently of the writer. */
function build(header: Record<string, unknown>, data: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify(header));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

function sample(): NamedTensors {
  return new Map([
    ['a.weight', { shape: [2, 3], data: Float32Array.from([1, -2, 3.5, 0, 1e-30, -0]) }],
    ['b', { shape: [4], data: randomFloats(4, 3) }],
    ['empty', { shape: [0, 5], data: new Float32Array(0) }],
    ['scalar', { shape: [], data: Float32Array.from([42]) }],
  ]);
}

describe('safetensors round trips', () => {
  it('f32 is exact, with metadata, and the write is atomic (no .tmp left)', () => {
    const p = join(dir, 'f32.safetensors');
    writeSafetensors(p, sample(), { metadata: { format: 'pt', note: 'héllo' } });
    expect(existsSync(`${p}.tmp`)).toBe(false);
    const back = readSafetensors(p);
    expectSameWeights(back.tensors, sample());
    expect(back.metadata).toEqual({ format: 'pt', note: 'héllo' });
    expect([...back.dtypes.values()]).toEqual(['F32', 'F32', 'F32', 'F32']);
  });

  it('bf16 returns each value rounded to bf16 (property over random shapes and values)', () => {
    const arbTensor = fc
      .array(fc.integer({ min: 0, max: 4 }), { maxLength: 3 })
      .chain((shape) =>
        fc.record({ shape: fc.constant(shape), values: fc.array(fc.float(), { minLength: numel(shape), maxLength: numel(shape) }) }),
      );
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9._]{0,12}$/), arbTensor), { selector: ([n]) => n, maxLength: 5 }),
        (entries) => {
          const tensors: NamedTensors = new Map(entries.map(([n, t]) => [n, { shape: t.shape, data: Float32Array.from(t.values) }]));
          const bytes = concatChunks(encodeSafetensors(tensors, { dtype: 'BF16' }));
          const back = parseSafetensors(bytes, 'mem.safetensors');
          expect([...back.tensors.keys()]).toEqual([...tensors.keys()]);
          for (const [n, t] of tensors) {
            const u = back.tensors.get(n)!;
            expect(u.shape).toEqual(t.shape);
            expect(back.dtypes.get(n)).toBe('BF16');
            expect([...u.data]).toEqual([...t.data].map(roundBF16));
          }
        },
      ),
      { numRuns: 100 },
    );
  });

  it('writes a header a hand decoding agrees with: u64 length, padded JSON, data right after', () => {
    const bytes = Buffer.from(concatChunks(encodeSafetensors(sample(), { metadata: { k: 'v' } })));
    const hlen = Number(bytes.readBigUInt64LE(0));
    expect((8 + hlen) % 8).toBe(0);
    const text = bytes.subarray(8, 8 + hlen).toString('utf8');
    expect(text).toMatch(/^\{.*\} *$/);
    expect(JSON.parse(text)).toEqual({
      __metadata__: { k: 'v' },
      'a.weight': { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] },
      b: { dtype: 'F32', shape: [4], data_offsets: [24, 40] },
      empty: { dtype: 'F32', shape: [0, 5], data_offsets: [40, 40] },
      scalar: { dtype: 'F32', shape: [], data_offsets: [40, 44] },
    });
    expect(bytes.length).toBe(8 + hlen + 44);
    expect(bytes.readFloatLE(8 + hlen + 8)).toBe(3.5);
    expect(bytes.readFloatLE(8 + hlen + 40)).toBe(42);
    // bf16 stores the top half of each float32.
    const bf = Buffer.from(
      concatChunks(encodeSafetensors(new Map([['x', { shape: [1], data: Float32Array.from([1.5]) }]]), { dtype: 'BF16' })),
    );
    const bl = Number(bf.readBigUInt64LE(0));
    expect(JSON.parse(bf.subarray(8, 8 + bl).toString())).toEqual({ x: { dtype: 'BF16', shape: [1], data_offsets: [0, 2] } });
    expect(bf.readUInt16LE(8 + bl)).toBe(0x3fc0);
  });

  it('reads hand-built F16, BF16 and I32 tensors', () => {
    const data = Buffer.alloc(2 * 2 + 2 + 2 * 4);
    data.writeUInt16LE(0x3c00, 0); // f16 1.0
    data.writeUInt16LE(0xc100, 2); // f16 -2.5
    data.writeUInt16LE(0x4049, 4); // bf16 3.140625
    data.writeInt32LE(-7, 6);
    data.writeInt32LE(123456, 10);
    const file = build(
      {
        h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] },
        b: { dtype: 'BF16', shape: [1], data_offsets: [4, 6] },
        i: { dtype: 'I32', shape: [1, 2], data_offsets: [6, 14] },
      },
      data,
    );
    const back = parseSafetensors(file, 'hand.safetensors');
    expect([...back.tensors.get('h')!.data]).toEqual([1, -2.5]);
    expect([...back.tensors.get('b')!.data]).toEqual([3.140625]);
    expect([...back.tensors.get('i')!.data]).toEqual([-7, 123456]);
    expect(back.dtypes.get('i')).toBe('I32');
  });
});

describe('sharded safetensors', () => {
  const tensors: NamedTensors = new Map(
    Array.from({ length: 7 }, (_, k) => [`t${k}`, { shape: [k + 1, 3], data: randomFloats(3 * (k + 1), k) }]),
  );

  it('splits by size, writes an index naming every tensor, reads back the same', () => {
    const d = join(dir, 'sharded');
    mkdirSync(d);
    writeFileSync(join(d, SINGLE_FILE), 'stale'); // replaced: the directory never keeps both entry points
    const files = writeSafetensorsDir(d, tensors, { maxShardBytes: 100 });
    expect(files.at(-1)).toBe(INDEX_FILE);
    expect(files.length).toBeGreaterThan(3);
    expect(existsSync(join(d, SINGLE_FILE))).toBe(false);
    const index = JSON.parse(readFileSync(join(d, INDEX_FILE), 'utf8'));
    expect(Object.keys(index.weight_map)).toEqual([...tensors.keys()]);
    expect(index.metadata.total_size).toBe(4 * (3 * 28));
    expect(new Set(Object.values(index.weight_map))).toEqual(new Set(files.slice(0, -1)));
    expect(files[0]).toBe(`model-00001-of-${String(files.length - 1).padStart(5, '0')}.safetensors`);
    expectSameWeights(readSafetensorsDir(d).tensors, tensors);
    // Re-writing unsharded removes the index.
    writeSafetensorsDir(d, tensors);
    expect(existsSync(join(d, INDEX_FILE))).toBe(false);
    expectSameWeights(readSafetensorsDir(d).tensors, tensors);
  });

  it('reports a shard that lacks a tensor the index assigns to it', () => {
    const d = join(dir, 'broken-shards');
    mkdirSync(d);
    writeSafetensorsDir(d, tensors, { maxShardBytes: 100 });
    const index = JSON.parse(readFileSync(join(d, INDEX_FILE), 'utf8'));
    index.weight_map.t0 = index.weight_map.t6;
    writeFileSync(join(d, INDEX_FILE), JSON.stringify(index));
    expect(() => readSafetensorsDir(d)).toThrow(`${join(d, index.weight_map.t6)}: missing tensors the index assigns to it: t0`);
  });

  it('complains about a directory with neither entry point', () => {
    expect(() => readSafetensorsDir(dir)).toThrow(`${dir}: no ${SINGLE_FILE} or ${INDEX_FILE}`);
  });
});

describe('safetensors reader errors name the file and the problem', () => {
  const good = Buffer.from(concatChunks(encodeSafetensors(sample())));
  const hlen = Number(good.readBigUInt64LE(0));

  it('truncated at several points', () => {
    const cases: [number, RegExp][] = [
      [0, /^cut\.st: not a safetensors file: 0 bytes is shorter than the 8-byte header length$/],
      [5, /^cut\.st: not a safetensors file: 5 bytes/],
      [8, new RegExp(`^cut\\.st: header length ${hlen} runs past the end of the file \\(8 bytes\\)$`)],
      [8 + hlen - 1, /^cut\.st: header length \d+ runs past the end of the file/],
      [8 + hlen, /^cut\.st: tensor a\.weight: data_offsets \[0, 24\] out of range of the 0-byte data buffer$/],
      [8 + hlen + 30, /^cut\.st: tensor b: data_offsets \[24, 40\] out of range of the 30-byte data buffer$/],
      [good.length - 1, /^cut\.st: tensor scalar: data_offsets \[40, 44\] out of range of the 43-byte data buffer$/],
    ];
    for (const [cut, re] of cases) expect(() => parseSafetensors(good.subarray(0, cut), 'cut.st')).toThrow(re);
  });

  it('header length beyond the file, and a header that is not JSON', () => {
    const huge = Buffer.from(good);
    huge.writeBigUInt64LE(2n ** 40n, 0);
    expect(() => parseSafetensors(huge, 'huge.st')).toThrow(
      `huge.st: header length ${2 ** 40} runs past the end of the file (${good.length} bytes)`,
    );
    const notJson = Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('{{{{')]);
    expect(() => parseSafetensors(notJson, 'nj.st')).toThrow(/^nj\.st: the JSON header is not valid JSON/);
    const arr = Buffer.concat([Buffer.from([2, 0, 0, 0, 0, 0, 0, 0]), Buffer.from('[]')]);
    expect(() => parseSafetensors(arr, 'arr.st')).toThrow('arr.st: the JSON header must be an object, got [');
  });

  it('bad entries: dtype, shape/size mismatch, overlap, gap, unowned trailing bytes', () => {
    const d = Buffer.alloc(16);
    const t = (dtype: string, shape: number[], offs: number[]): Record<string, unknown> => ({ dtype, shape, data_offsets: offs });
    expect(() => parseSafetensors(build({ x: t('Q4', [4], [0, 16]) }, d), 'f')).toThrow(
      'f: tensor x: unsupported dtype "Q4" (supported: F32, F16, BF16, I32)',
    );
    expect(() => parseSafetensors(build({ x: t('F32', [3], [0, 16]) }, d), 'f')).toThrow('f: tensor x: 16 bytes but F32[3] needs 12');
    expect(() => parseSafetensors(build({ x: t('F32', [-1], [0, 16]) }, d), 'f')).toThrow(
      'f: tensor x: shape[0] must be an integer in [0, 9007199254740991], got -1',
    );
    expect(() => parseSafetensors(build({ x: t('F32', [2], [0, 8]), y: t('F32', [2], [4, 12]) }, d.subarray(0, 12)), 'f')).toThrow(
      'f: tensor y: data_offsets [4, 12] overlap tensor x (ends at 8)',
    );
    expect(() => parseSafetensors(build({ x: t('F32', [2], [0, 8]), y: t('F32', [1], [12, 16]) }, d), 'f')).toThrow(
      'f: tensor y: gap of 4 bytes before it, after tensor x',
    );
    expect(() => parseSafetensors(build({ x: t('F32', [2], [0, 8]) }, d), 'f')).toThrow(
      'f: 8 bytes of data after tensor x belong to no tensor',
    );
    expect(() => parseSafetensors(build({ x: t('F32', [2], [8, 0]) }, d), 'f')).toThrow('f: tensor x: data_offsets [8, 0] out of range');
    expect(() => parseSafetensors(build({ __metadata__: { a: 1 } }, Buffer.alloc(0)), 'f')).toThrow(
      'f: __metadata__.a must be a string, got 1',
    );
  });

  it('names the path when reading from disk', () => {
    const p = join(dir, 'trunc.safetensors');
    writeFileSync(p, good.subarray(0, 8 + hlen + 3));
    expect(() => readSafetensors(p)).toThrow(`${p}: tensor a.weight: data_offsets [0, 24] out of range of the 3-byte data buffer`);
  });
});

it('leaves no stray files in the temp dir', () => {
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
});
