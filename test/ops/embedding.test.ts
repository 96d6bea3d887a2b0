import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { checkIds, embedding, embeddingBuckets } from '../../src/ops/embedding.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbData, compareBackends, gradError } from '../helpers/gradcheck.ts';

const wave = (n: number, a = 1.3, b = 0.2) => Array.from({ length: n }, (_, i) => 2 * Math.sin(a * i + b));
const ids32 = (data: number[], shape = [data.length]) => fromArray(data, shape, { dtype: 'i32', backend: cpu });

/** ids (shape rank 0–2, repeats likely) and a [V, D] table. */
const arbCase = fc
  .record({
    v: fc.integer({ min: 1, max: 5 }),
    d: fc.integer({ min: 1, max: 4 }),
    idShape: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 2 }),
  })
  .chain(({ v, d, idShape }) => {
    const n = idShape.reduce((a, b) => a * b, 1);
    return fc
      .tuple(fc.array(fc.integer({ min: 0, max: v - 1 }), { minLength: n, maxLength: n }), arbData(v * d))
      .map(([ids, table]): [Input, Input] => [
        { shape: idShape, data: ids, int: true },
        { shape: [v, d], data: table },
      ]);
  });

describe('embedding forward values', () => {
  it('gathers table rows, keeping the ids shape', () => {
    const table = fromArray([0, 1, 10, 11, 20, 21], [3, 2], { backend: cpu });
    const y = embedding(ids32([2, 0, 2, 1], [2, 2]), table);
    expect(y.shape).toEqual([2, 2, 2]);
    expect([...y.dataSync()]).toEqual([20, 21, 0, 1, 20, 21, 10, 11]);
  });
  it('the backward scatter-adds rows, summing repeated ids', () => {
    const table = fromArray([0, 0, 0, 0, 0, 0], [3, 2], { backend: cpu, requiresGrad: true });
    embedding(ids32([2, 0, 2]), table).backward(fromArray([1, 2, 3, 4, 5, 6], [3, 2], { backend: cpu }));
    expect([...table.grad!.dataSync()]).toEqual([3, 4, 0, 0, 6, 8]);
  });
  it('bucket count stays within [1, min(V, 64)]', () => {
    expect(embeddingBuckets(32000, 288)).toBe(8);
    expect(embeddingBuckets(3, 1)).toBe(3);
    expect(embeddingBuckets(32000, 1)).toBe(64);
    expect(embeddingBuckets(10, 5000)).toBe(1);
  });
});

describe('embedding gradients (f64 finite differences)', () => {
  it('w.r.t. the table, with repeated ids', () => {
    fc.assert(
      fc.property(arbCase, ([ids, table]) => {
        expect(gradError(([i, t]) => embedding(i!, t!), [ids, table])).toBeLessThan(1e-6);
      }),
      { numRuns: 40 },
    );
  });
});

// Bound: 0. The forward is a copy; the backward adds each (id, column) in position order on
// both sides, so the f32 results are bitwise equal.
forBackends('embedding agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  const cases: [number, number, number[]][] = [
    [1, 1, [1]],
    [5, 3, [7]],
    [7, 1, [3, 5]],
    [13, 9, [2, 37]],
    [32000, 5, [300]],
    [300, 288, [64]],
  ];
  for (const [v, d, shape] of cases) {
    it(`V=${v} D=${d} ids [${shape}]`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      // repeats guaranteed when n > v; spread over the vocabulary otherwise
      const ids = Array.from({ length: n }, (_, i) => (i * 7919 + (i % 3)) % v);
      const r = await compareBackends(
        ([i, t]) => embedding(i!, t!),
        [
          { shape, data: ids, int: true },
          { shape: [v, d], data: wave(v * d) },
        ],
        getB(),
      );
      expect(r.fwd).toBe(0);
      expect(r.grads[1]).toBe(0);
    });
  }
  it('empty ids give an empty output and a zero gradient', async () => {
    const b = getB();
    const table = fromArray([1, 2, 3, 4], [2, 2], { backend: b, requiresGrad: true });
    const y = embedding(fromArray([], [0], { backend: b, dtype: 'i32' }), table);
    expect(y.shape).toEqual([0, 2]);
    y.backward(fromArray([], [0, 2], { backend: b }));
    expect([...(await table.grad!.data())]).toEqual([0, 0, 0, 0]);
  });
  if (kind === 'webgpu') {
    it('out-of-range ids are clamped on the GPU (documented)', async () => {
      const b = getB();
      const table = fromArray([0, 1, 10, 11, 20, 21], [3, 2], { backend: b });
      const y = await embedding(fromArray([-5, 3, 1], [3], { backend: b, dtype: 'i32' }), table).data();
      expect([...y]).toEqual([0, 1, 20, 21, 10, 11]);
    });
  }
});

describe('embedding errors', () => {
  const table = fromArray([1, 2, 3, 4, 5, 6], [3, 2], { backend: cpu });
  it('names the dtype of ids and the rank of the table', () => {
    expect(() => embedding(fromArray([0, 1], [2], { backend: cpu }), table)).toThrow('embedding: ids must be i32, got f32 [2]');
    expect(() => embedding(ids32([0]), fromArray([1, 2], [2], { backend: cpu }))).toThrow(
      'embedding: table ([vocab, dim]) must have rank 2, got shape [2]',
    );
    expect(() => embedding(ids32([0]), ids32([1, 2], [1, 2]))).toThrow(/embedding: expected a float tensor, got i32/);
  });
  it('out-of-range ids throw on the cpu', () => {
    expect(() => embedding(ids32([0, 3]), table)).toThrow('embedding: id 3 at position 1 is out of range for a table of 3 rows');
    expect(() => embedding(ids32([-1]), table)).toThrow('embedding: id -1 at position 0 is out of range for a table of 3 rows');
    expect(() => checkIds('lookup', [0, 1, 2, 9], 3)).toThrow('lookup: id 9 at position 3');
  });
});
