import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, ones, scope } from '../../src/core/tensor.ts';
import { mul } from '../../src/ops/elementwise.ts';
import { chunk, concat, permute, slice, split, transpose, writeSlice, zerosLike } from '../../src/ops/shape.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbInput, arbShape, compareBackends, gradError, numelOf } from '../helpers/gradcheck.ts';

const t = (data: number[], shape: number[], dtype: 'f32' | 'f64' | 'i32' = 'f64') => fromArray(data, shape, { backend: cpu, dtype });
const vals = (x: Tensor) => [...x.dataSync()];
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

/** A shape (rank ≥ 1) with a random permutation of its axes. */
const arbPermuted = (maxRank = 4, maxDim = 4) =>
  arbShape(1, maxRank, maxDim).chain((s) =>
    fc.tuple(arbInput(s), fc.shuffledSubarray(iota(s.length), { minLength: s.length, maxLength: s.length })),
  );
/** A shape, an axis and a range [start, end) in it. */
const arbSliced = (maxRank = 4, maxDim = 6) =>
  arbShape(1, maxRank, maxDim).chain((s) =>
    fc
      .integer({ min: 0, max: s.length - 1 })
      .chain((ax) =>
        fc
          .tuple(arbInput(s), fc.constant(ax), fc.integer({ min: 0, max: s[ax]! }), fc.integer({ min: 0, max: s[ax]! }))
          .map(([x, a, p, q]) => [x, a, Math.min(p, q), Math.max(p, q)] as const),
      ),
  );
/** Two or three inputs that agree outside `axis`. */
const arbConcat = (maxRank = 4, maxDim = 4) =>
  arbShape(1, maxRank, maxDim).chain((s) =>
    fc
      .integer({ min: 0, max: s.length - 1 })
      .chain((ax) =>
        fc
          .array(fc.integer({ min: 0, max: maxDim }), { minLength: 2, maxLength: 3 })
          .chain((sizes) => fc.tuple(fc.tuple(...sizes.map((k) => arbInput(s.map((d, i) => (i === ax ? k : d))))), fc.constant(ax))),
      ),
  );

describe('shape forward values', () => {
  it('transpose / permute', () => {
    const x = t(iota(6), [2, 3]);
    expect(vals(transpose(x, 0, 1))).toEqual([0, 3, 1, 4, 2, 5]);
    expect(transpose(x, -1, -2).shape).toEqual([3, 2]);
    const y = t(iota(24), [2, 3, 4]);
    const p = permute(y, [2, 0, 1]);
    expect(p.shape).toEqual([4, 2, 3]);
    // p[k, i, j] = y[i, j, k] = 12 i + 4 j + k
    expect(vals(p).slice(0, 7)).toEqual([0, 4, 8, 12, 16, 20, 1]);
    expect(vals(permute(y, [0, 1, 2]))).toEqual(iota(24));
  });
  it('slice', () => {
    const x = t(iota(12), [3, 4]);
    expect(vals(slice(x, 1, 1, 3))).toEqual([1, 2, 5, 6, 9, 10]);
    expect(vals(slice(x, 0, 2))).toEqual([8, 9, 10, 11]);
    expect(vals(slice(x, -1, -1))).toEqual([3, 7, 11]);
    expect(slice(x, 0, 1, 1).shape).toEqual([0, 4]);
  });
  it('concat / split / chunk', () => {
    const a = t([1, 2, 3, 4], [2, 2]);
    const b = t([5, 6], [2, 1]);
    expect(vals(concat([a, b], 1))).toEqual([1, 2, 5, 3, 4, 6]);
    expect(vals(concat([a, t([7, 8], [1, 2])], 0))).toEqual([1, 2, 3, 4, 7, 8]);
    expect(vals(concat([a, t([], [2, 0])], -1))).toEqual([1, 2, 3, 4]);
    const [p, q] = split(t(iota(10), [2, 5]), [2, 3], 1);
    expect(vals(p!)).toEqual([0, 1, 5, 6]);
    expect(vals(q!)).toEqual([2, 3, 4, 7, 8, 9]);
    expect(chunk(t(iota(6), [6]), 3, 0).map(vals)).toEqual([
      [0, 1],
      [2, 3],
      [4, 5],
    ]);
  });
  it('i32 and f64 are copied exactly', () => {
    const ids = t([2147483647, -5, 7, -2147483648, 0, 1], [2, 3], 'i32');
    const s = slice(ids, 1, 1, 3);
    expect(s.dtype).toBe('i32');
    expect(vals(s)).toEqual([-5, 7, 0, 1]);
    expect(vals(transpose(ids, 0, 1))).toEqual([2147483647, -2147483648, -5, 0, 7, 1]);
    expect(vals(concat([ids, ids], 0))).toEqual([...vals(ids), ...vals(ids)]);
    expect(vals(slice(t([Math.PI, 1 / 3], [2]), 0, 0, 1))).toEqual([Math.PI]);
  });
  it('writeSlice writes in place along an axis', () => {
    const cache = zerosLike(t(iota(12), [2, 3, 2]));
    writeSlice(cache, t([1, 2, 3, 4], [2, 1, 2]), 1, 1);
    expect(vals(cache)).toEqual([0, 0, 1, 2, 0, 0, 0, 0, 3, 4, 0, 0]);
    expect(() => writeSlice(cache, t([1, 2, 3, 4], [2, 1, 2]), 1, 3)).toThrow(
      /writeSlice: rows \[3, 4\) are out of bounds for axis 1 of size 3/,
    );
    expect(() => writeSlice(cache, t([1, 2], [1, 1, 2]), 1, 0)).toThrow(
      /writeSlice: source \[1, 1, 2\] does not fit destination \[2, 3, 2\]/,
    );
  });
  it('the slice gradient is scattered into zeros', () => {
    const x = fromArray(iota(6), [2, 3], { backend: cpu, dtype: 'f64', requiresGrad: true });
    slice(x, 1, 1, 2).backward(t([10, 20], [2, 1]));
    expect(vals(x.grad!)).toEqual([0, 10, 0, 0, 20, 0]);
  });
  it('a scope frees everything forward and backward allocate', () => {
    const before = cpu.memory().buffers;
    scope(() => {
      const a = fromArray(iota(12), [3, 4], { backend: cpu, requiresGrad: true });
      const [p, q] = chunk(transpose(a, 0, 1), 2, 0);
      concat([slice(q!, 1, 1), p!], 1).backward(ones([2, 5], { backend: cpu }));
      a.grad?.dispose();
    });
    expect(cpu.memory().buffers).toBe(before);
  });
  it('ranks above 8 run when contiguous dims merge', () => {
    const x = t(iota(24), [1, 2, 1, 3, 1, 1, 2, 1, 2, 1]);
    const y = permute(x, [1, 0, 2, 3, 4, 5, 6, 7, 8, 9]); // only moves size-1 axes: a plain copy
    expect(vals(y)).toEqual(iota(24));
  });
});

describe('shape errors', () => {
  const x = t(iota(24), [2, 3, 4]);
  it('bad permutation', () => {
    expect(() => permute(x, [0, 0, 1])).toThrow('permute: [0, 0, 1] is not a permutation of the 3 axes of shape [2, 3, 4]');
    expect(() => permute(x, [0, 1])).toThrow(/not a permutation of the 3 axes/);
    expect(() => permute(x, [0, 1, 3])).toThrow(/not a permutation/);
    expect(() => transpose(x, 0, 3)).toThrow(/transpose: axis 3 is out of range for rank 3/);
  });
  it('slice out of range', () => {
    expect(() => slice(x, 1, 2, 5)).toThrow('slice: range [2, 5) is out of bounds for axis 1 of size 3 (shape [2, 3, 4])');
    expect(() => slice(x, 2, 3, 1)).toThrow(/slice: range \[3, 1\) is out of bounds/);
    expect(() => slice(x, 2, -5)).toThrow(/slice: range \[-5, 4\) is out of bounds/);
    expect(() => slice(x, 3, 0, 1)).toThrow(/slice: axis 3 is out of range for rank 3/);
  });
  it('concat of mismatched shapes names them', () => {
    expect(() => concat([x, t(iota(6), [2, 3, 1]), t(iota(20), [2, 5, 2])], 2)).toThrow(
      'concat: shapes [2, 3, 4], [2, 3, 1], [2, 5, 2] differ outside axis 2',
    );
    expect(() => concat([x, t(iota(6), [6])], 0)).toThrow(/concat: shapes \[2, 3, 4\], \[6\] differ outside axis 0/);
    expect(() => concat([x, t(iota(24), [2, 3, 4], 'f32')], 0)).toThrow(/concat: dtype mismatch f64 vs f32/);
    expect(() => concat([], 0)).toThrow(/concat: needs at least one tensor/);
  });
  it('split / chunk sizes', () => {
    expect(() => split(x, [1, 1], 1)).toThrow('split: sizes [1, 1] do not add up to axis 1 of shape [2, 3, 4]');
    expect(() => chunk(x, 3, 2)).toThrow('chunk: axis 2 of shape [2, 3, 4] cannot be split into 3 equal pieces');
  });
});

describe('shape gradients (f64 finite differences)', () => {
  it('permute', () => {
    fc.assert(
      fc.property(arbPermuted(), ([x, perm]) => {
        expect(gradError(([a]) => permute(a!, perm), [x])).toBeLessThan(1e-6);
      }),
      { numRuns: 25 },
    );
  });
  it('transpose', () => {
    fc.assert(
      fc.property(
        arbShape(2, 4).chain((s) => fc.tuple(arbInput(s), fc.nat(s.length - 1), fc.nat(s.length - 1))),
        ([x, a, b]) => {
          expect(gradError(([v]) => transpose(v!, a, b), [x])).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 20 },
    );
  });
  it('slice', () => {
    fc.assert(
      fc.property(arbSliced(), ([x, ax, s, e]) => {
        expect(gradError(([a]) => slice(a!, ax, s, e), [x])).toBeLessThan(1e-6);
      }),
      { numRuns: 25 },
    );
  });
  it('concat', () => {
    fc.assert(
      fc.property(arbConcat(), ([xs, ax]) => {
        expect(gradError((ts) => concat(ts, ax), xs)).toBeLessThan(1e-6);
      }),
      { numRuns: 25 },
    );
  });
  it('split, with pieces used differently', () => {
    fc.assert(
      fc.property(arbSliced(), ([x, ax, s, e]) => {
        const n = x.shape[ax]!;
        const sizes = [s, e - s, n - e];
        // weight each piece differently so a mixed-up gradient would show
        expect(
          gradError(
            ([a]) => {
              const [p, q, r] = split(a!, sizes, ax);
              return concat([r!, mul(q!, q!), p!], ax);
            },
            [x],
          ),
        ).toBeLessThan(1e-6);
      }),
      { numRuns: 25 },
    );
  });
});

describe('shape properties', () => {
  it('permute then its inverse is the identity; transpose twice too', () => {
    fc.assert(
      fc.property(arbPermuted(5, 4), ([x, perm]) => {
        const a = fromArray(x.data, x.shape, { backend: cpu, dtype: 'f64' });
        const inv = new Array<number>(perm.length);
        perm.forEach((d, k) => (inv[d] = k));
        const back = permute(permute(a, perm), inv);
        expect(back.shape).toEqual(x.shape);
        expect(vals(back)).toEqual(x.data);
        if (x.shape.length >= 2) expect(vals(transpose(transpose(a, 0, -1), 0, -1))).toEqual(x.data);
      }),
      { numRuns: 50 },
    );
  });
  it('concat of a split is the identity; split of a concat gives the parts', () => {
    fc.assert(
      fc.property(arbConcat(), ([xs, ax]) => {
        const ts = xs.map((x) => fromArray(x.data, x.shape, { backend: cpu, dtype: 'f64' }));
        const joined = concat(ts, ax);
        const parts = split(
          joined,
          xs.map((x) => x.shape[ax]!),
          ax,
        );
        parts.forEach((p, i) => {
          expect(p.shape).toEqual(xs[i]!.shape);
          expect(vals(p)).toEqual(xs[i]!.data);
        });
        expect(vals(concat(parts, ax))).toEqual(vals(joined));
      }),
      { numRuns: 50 },
    );
  });
});

// Copies move bits, so the GPU must agree exactly (bound 0) in both directions.
forBackends('shape ops agree with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  it('permute fwd/bwd', async () => {
    await fc.assert(
      fc.asyncProperty(arbPermuted(5, 5), async ([x, perm]) => {
        const r = await compareBackends(([a]) => permute(a!, perm), [x], getB());
        expect(r.fwd).toBe(0);
        expect(r.grads[0]).toBe(0);
      }),
      { numRuns: 10 },
    );
  });
  it('slice fwd/bwd', async () => {
    await fc.assert(
      fc.asyncProperty(arbSliced(4, 7), async ([x, ax, s, e]) => {
        const r = await compareBackends(([a]) => slice(a!, ax, s, e), [x], getB());
        expect(r.fwd).toBe(0);
        expect(r.grads[0]).toBe(0);
      }),
      { numRuns: 10 },
    );
  });
  it('concat fwd/bwd', async () => {
    await fc.assert(
      fc.asyncProperty(arbConcat(4, 5), async ([xs, ax]) => {
        const r = await compareBackends((ts) => concat(ts, ax), xs, getB());
        expect(r.fwd).toBe(0);
        for (const g of r.grads) expect(g).toBe(0);
      }),
      { numRuns: 10 },
    );
  });
  it('rank-8 permute and a large odd transpose', async () => {
    const s8 = [2, 3, 1, 2, 3, 2, 1, 3];
    const x8: Input = { shape: s8, data: iota(numelOf(s8)).map((i) => Math.sin(i)) };
    const r8 = await compareBackends(([a]) => permute(a!, [7, 0, 6, 1, 5, 2, 4, 3]), [x8], getB());
    expect(r8.fwd).toBe(0);
    expect(r8.grads[0]).toBe(0);
    const big: Input = { shape: [301, 257], data: iota(301 * 257).map((i) => i % 1013) };
    const r = await compareBackends(([a]) => transpose(a!, 0, 1), [big], getB());
    expect(r.fwd).toBe(0);
    expect(r.grads[0]).toBe(0);
  });
  it('i32 token ids: slice, transpose, concat, writeSlice', async () => {
    const data = [2147483647, -5, 7, -2147483648, 0, 1, 123456789, -1];
    const ids = fromArray(data, [2, 4], { backend: getB(), dtype: 'i32' });
    expect([...(await slice(ids, 1, 1, 3).data())]).toEqual([-5, 7, 1, 123456789]);
    expect([...(await transpose(ids, 0, 1).data())]).toEqual([2147483647, 0, -5, 1, 7, 123456789, -2147483648, -1]);
    const c = concat([ids, slice(ids, 0, 1)], 0);
    expect(c.dtype).toBe('i32');
    expect([...(await c.data())]).toEqual([...data, ...data.slice(4)]);
    const dst = zerosLike(c);
    writeSlice(dst, slice(ids, 0, 0, 1), 0, 2);
    expect([...(await dst.data())]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, ...data.slice(0, 4)]);
  });
  it('large copies fold the grid into y', async () => {
    const n = 256 * 65535 + 1000;
    const x = fromArray(
      Float32Array.from({ length: n }, (_, i) => i % 7),
      [2, n / 2],
      { backend: getB() },
    );
    const y = await slice(x, 1, 1).data();
    expect(y.length).toBe(n - 2);
    expect(y[0]).toBe(1);
    expect(y[n - 3]).toBe((n - 1) % 7);
  });
});
