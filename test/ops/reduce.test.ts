import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, noGrad, ones, scope } from '../../src/core/tensor.ts';
import { add, addScalar } from '../../src/ops/elementwise.ts';
import { argmax, logSoftmax, logsumexp, max, mean, meanAll, softmax, sum, sumAll } from '../../src/ops/reduce.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbInput, arbShape, compareBackends, gradError } from '../helpers/gradcheck.ts';

const t = (data: number[], shape: number[], dtype: 'f32' | 'f64' = 'f64') => fromArray(data, shape, { backend: cpu, dtype });
const vals = (x: Tensor) => [...x.dataSync()];

/** A random shape (rank ≥ 1), an axis in it (possibly negative) and data. */
const arbAxisInput = (maxRank = 4, maxDim = 5, lo = -2, hi = 2) =>
  arbShape(1, maxRank, maxDim).chain((s) => fc.tuple(arbInput(s, lo, hi), fc.integer({ min: -s.length, max: s.length - 1 }), fc.boolean()));

type AxisOp = (x: Tensor, axis: number, opts?: { keepDims?: boolean }) => Tensor;
const axisOps: [string, AxisOp][] = [
  ['sum', sum],
  ['mean', mean],
  ['max', max],
  ['logsumexp', logsumexp],
];
const rowOps: [string, (x: Tensor, axis?: number) => Tensor][] = [
  ['softmax', softmax],
  ['logSoftmax', logSoftmax],
];

describe('reduce forward values', () => {
  const x = t([1, 5, 3, 4, 2, 6], [2, 3]);
  it('sum / mean / max along each axis, keepDims', () => {
    expect(vals(sum(x, 1))).toEqual([9, 12]);
    expect(vals(sum(x, 0))).toEqual([5, 7, 9]);
    expect(vals(mean(x, -1))).toEqual([3, 4]);
    expect(vals(max(x, 0))).toEqual([4, 5, 6]);
    expect(vals(max(x, 1))).toEqual([5, 6]);
    expect(sum(x, 1).shape).toEqual([2]);
    expect(sum(x, 1, { keepDims: true }).shape).toEqual([2, 1]);
    expect(max(x, 0, { keepDims: true }).shape).toEqual([1, 3]);
    expect(vals(argmax(x, 1))).toEqual([1, 2]);
    expect(argmax(x, 1).dtype).toBe('i32');
  });
  it('sumAll / meanAll give scalars', () => {
    expect(sumAll(x).shape).toEqual([]);
    expect(vals(sumAll(x))).toEqual([21]);
    expect(vals(meanAll(x))).toEqual([3.5]);
    expect(vals(sumAll(t([7], [])))).toEqual([7]);
  });
  it('logsumexp is stable for large and -inf inputs', () => {
    expect(vals(logsumexp(t([0, Math.log(3)], [2]), 0))[0]).toBeCloseTo(Math.log(4), 12);
    expect(vals(logsumexp(t([1000, 1000], [2]), 0))[0]).toBeCloseTo(1000 + Math.log(2), 10);
    expect(vals(logsumexp(t([-1000, -1000], [2]), 0))[0]).toBeCloseTo(-1000 + Math.log(2), 10);
    expect(vals(logsumexp(t([-Infinity, -Infinity], [2]), 0))).toEqual([-Infinity]);
    expect(vals(logsumexp(t([-Infinity, 2], [2]), 0))).toEqual([2]);
  });
  it('softmax and logSoftmax values', () => {
    const y = vals(softmax(t([0, Math.log(2), 1000, 1000], [2, 2])));
    [1 / 3, 2 / 3, 0.5, 0.5].forEach((v, i) => expect(y[i]).toBeCloseTo(v, 12));
    const ly = vals(logSoftmax(t([0, Math.log(2)], [2])));
    expect(ly[0]).toBeCloseTo(Math.log(1 / 3), 12);
    expect(ly[1]).toBeCloseTo(Math.log(2 / 3), 12);
    // along axis 0 of a [2, 2]
    const y0 = vals(softmax(t([0, 1, Math.log(3), 1], [2, 2]), 0));
    [0.25, 0.5, 0.75, 0.5].forEach((v, i) => expect(y0[i]).toBeCloseTo(v, 12));
  });
  it('max sends the gradient to the first maximum only', () => {
    const a = fromArray([1, 3, 3, 2, 2, 0], [2, 3], { backend: cpu, dtype: 'f64', requiresGrad: true });
    max(a, 1).backward(t([10, 20], [2]));
    expect(vals(a.grad!)).toEqual([0, 10, 0, 20, 0, 0]);
    const b = fromArray([5, 5, 5, 5], [2, 2], { backend: cpu, dtype: 'f64', requiresGrad: true });
    max(b, 0).backward(t([1, 2], [2]));
    expect(vals(b.grad!)).toEqual([1, 2, 0, 0]);
  });
  it('a scope frees everything forward and backward allocate', () => {
    const before = cpu.memory().buffers;
    scope(() => {
      const a = fromArray([1, 3, 2, 0, 5, 4], [2, 3], { backend: cpu, requiresGrad: true });
      sumAll(add(add(max(a, 1), logsumexp(a, 1)), add(mean(a, 1), sum(softmax(a), -1)))).backward();
      logSoftmax(a, 0).backward(ones([2, 3], { backend: cpu }));
      a.grad?.dispose(); // kept, so not the scope's to free
    });
    expect(cpu.memory().buffers).toBe(before);
  });
  it('no indices tensor outlives a max without gradient', () => {
    const before = cpu.memory().buffers;
    const y = noGrad(() => max(x, 1));
    expect(cpu.memory().buffers).toBe(before + 1);
    y.dispose();
  });
});

describe('reduce errors', () => {
  it('names the op, axis and shape', () => {
    const x = t([1, 2, 3, 4, 5, 6], [2, 3]);
    expect(() => sum(x, 2)).toThrow(/sum: axis 2 is out of range for rank 2/);
    expect(() => softmax(x, -3)).toThrow(/softmax: axis -3 is out of range for rank 2/);
    expect(() => max(t([], [2, 0]), 1)).toThrow(/max: cannot reduce over axis 1 of size 0 \(shape \[2, 0\]\)/);
    expect(() => logsumexp(t([], [0]), 0)).toThrow(/logsumexp: cannot reduce over axis 0 of size 0/);
    const ids = fromArray([1, 2], [2], { backend: cpu, dtype: 'i32' });
    expect(() => mean(ids, 0)).toThrow(/mean: expected a float tensor, got i32 \[2\]/);
    expect(() => logSoftmax(ids)).toThrow(/logSoftmax: expected a float tensor, got i32/);
  });
  it('sum over an empty axis is 0', () => {
    expect(vals(sum(t([], [2, 0]), 1))).toEqual([0, 0]);
  });
});

describe('reduce gradients (f64 finite differences)', () => {
  for (const [name, f] of axisOps) {
    it(name, () => {
      fc.assert(
        fc.property(arbAxisInput(), ([x, axis, keepDims]) => {
          // max is not differentiable at ties: spread the values apart (fast-check favours 0, ±2)
          if (name === 'max') {
            x = { ...x, data: x.data.map((v, i) => v + 0.0123 * i) };
            const sorted = [...x.data].sort((a, b) => a - b);
            fc.pre(sorted.every((v, i) => i === 0 || v - sorted[i - 1]! > 1e-4));
          }
          expect(gradError(([a]) => f(a!, axis, { keepDims }), [x])).toBeLessThan(1e-6);
        }),
        { numRuns: 25 },
      );
    });
  }
  it('sumAll / meanAll', () => {
    fc.assert(
      fc.property(
        arbShape(0, 3).chain((s) => arbInput(s)),
        (x) => {
          expect(gradError(([a]) => sumAll(a!), [x])).toBeLessThan(1e-6);
          expect(gradError(([a]) => meanAll(a!), [x])).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 15 },
    );
  });
  for (const [name, f] of rowOps) {
    it(name, () => {
      fc.assert(
        fc.property(arbAxisInput(4, 5, -4, 4), ([x, axis]) => {
          expect(gradError(([a]) => f(a!, axis), [x])).toBeLessThan(1e-6);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('reduce properties', () => {
  it('softmax rows sum to 1, are positive, and ignore a per-row shift', () => {
    fc.assert(
      fc.property(arbAxisInput(3, 6, -30, 30), fc.double({ min: -50, max: 50, noNaN: true }), ([x, axis], c) => {
        const a = fromArray(x.data, x.shape, { backend: cpu, dtype: 'f64' });
        const y = softmax(a, axis);
        const rowSums = vals(sum(y, axis));
        for (const s of rowSums) expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        for (const v of vals(y)) expect(v).toBeGreaterThanOrEqual(0);
        const shifted = vals(softmax(addScalar(a, c), axis));
        vals(y).forEach((v, i) => expect(Math.abs(v - shifted[i]!)).toBeLessThan(1e-12));
        // log-softmax is log of softmax, and shift invariant too
        const ly = vals(logSoftmax(a, axis));
        const lys = vals(logSoftmax(addScalar(a, c), axis));
        ly.forEach((v, i) => {
          expect(Math.abs(v - lys[i]!)).toBeLessThan(1e-11);
          expect(Math.abs(Math.exp(v) - vals(y)[i]!)).toBeLessThan(1e-12);
        });
      }),
      { numRuns: 40 },
    );
  });
  it('max ≤ logsumexp ≤ max + log n; mean = sum / n', () => {
    fc.assert(
      fc.property(arbAxisInput(3, 6, -30, 30), ([x, axis]) => {
        const a = fromArray(x.data, x.shape, { backend: cpu, dtype: 'f64' });
        const n = x.shape.at(axis)!;
        const m = vals(max(a, axis));
        const l = vals(logsumexp(a, axis));
        const s = vals(sum(a, axis));
        const mu = vals(mean(a, axis));
        m.forEach((v, i) => {
          expect(l[i]!).toBeGreaterThanOrEqual(v);
          expect(l[i]!).toBeLessThanOrEqual(v + Math.log(n) + 1e-12);
          expect(Math.abs(mu[i]! - s[i]! / n)).toBeLessThan(1e-12);
        });
      }),
      { numRuns: 40 },
    );
  });
});

// Bounds (relative to max(1, max |cpu|), see compareBackends): the CPU reference accumulates in
// doubles, the GPU in f32 with a tree, so the error grows like ε·log2(n)·(Σ|x| / max|result|):
// 1e-5 covers sums of 32k values in [-2, 2] (Σ|x| ≈ 32k, the result scale is ≥ 1) with room.
// Softmax / logsumexp add one exp/log per element, within a few ulps on lavapipe.
const BOUND = 1e-5;
/** A sum of n values with |x| ≤ 3 whose result cancels to O(1): the error scales with Σ|x|, not
 *  with the result (measured: 1e-5 absolute for n = 32000, i.e. 1e-10 of Σ|x|). */
const sumBound = (n: number) => Math.max(BOUND, 1e-9 * 3 * n);

forBackends('reduce agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  for (const [name, f] of axisOps) {
    it(`${name} fwd/bwd on random shapes`, async () => {
      await fc.assert(
        fc.asyncProperty(arbAxisInput(4, 7), async ([x, axis, keepDims]) => {
          const r = await compareBackends(([a]) => f(a!, axis, { keepDims }), [x], getB());
          expect(r.fwd).toBeLessThan(BOUND);
          expect(r.grads[0]).toBeLessThan(BOUND);
        }),
        { numRuns: 8 },
      );
    });
  }
  for (const [name, f] of rowOps) {
    it(`${name} fwd/bwd on random shapes`, async () => {
      await fc.assert(
        fc.asyncProperty(arbAxisInput(4, 7, -6, 6), async ([x, axis]) => {
          const r = await compareBackends(([a]) => f(a!, axis), [x], getB());
          expect(r.fwd).toBeLessThan(BOUND);
          expect(r.grads[0]).toBeLessThan(BOUND);
        }),
        { numRuns: 8 },
      );
    });
  }

  // Row lengths around the thread-per-row thresholds (64, 2048), n = 1 and a vocabulary-sized
  // 32000, reduced along the last axis (inner = 1) and along a middle / first axis (inner > 1).
  const seeded = (shape: number[], seed: number): Input => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { shape, data: Array.from({ length: n }, (_, i) => 2 * Math.sin(seed + i * 0.7548776662466927) + Math.cos(i * 1.3)) };
  };
  const large: [number[], number][] = [
    [[3, 1], -1],
    [[5, 65], 1],
    [[2, 3, 2049], 2],
    [[2, 32000], -1],
    [[1, 32000], 1],
    [[3, 333, 2], 1],
    [[32000, 2], 0],
    [[100, 1, 3], 1],
  ];
  for (const [shape, axis] of large) {
    it(`large rows ${JSON.stringify(shape)} axis ${axis}: all ops`, async () => {
      const x = seeded(shape, shape.length + axis);
      for (const [name, f] of [...axisOps, ...rowOps.map(([n, g]): [string, AxisOp] => [n, (a, ax) => g(a, ax)])]) {
        const r = await compareBackends(([a]) => f(a!, axis), [x], getB());
        expect(r.fwd, `${name} fwd`).toBeLessThan(name === 'sum' ? sumBound(shape.at(axis)!) : BOUND);
        expect(r.grads[0], `${name} grad`).toBeLessThan(BOUND);
      }
      const [c, g] = [fromArray(x.data, shape, { backend: cpu }), fromArray(x.data, shape, { backend: getB() })];
      expect([...(await argmax(g, axis).data())]).toEqual([...argmax(c, axis).dataSync()]);
    });
  }
  it('sumAll / meanAll of a large tensor', async () => {
    const x = seeded([70001], 3);
    const shifted: Input = { shape: x.shape, data: x.data.map((v) => v + 1) }; // sum ≈ n, no cancellation
    for (const f of [sumAll, meanAll]) {
      const r = await compareBackends(([a]) => f(a!), [shifted], getB());
      expect(r.fwd).toBeLessThan(BOUND);
      expect(r.grads[0]).toBeLessThan(BOUND);
    }
    // Σx ≈ 0.15 while Σ|x| ≈ 95k: with cancellation the f32 error scales with Σ|x|, so bound it by that.
    const absSum = x.data.reduce((a, v) => a + Math.abs(v), 0);
    const c = sumAll(fromArray(x.data, x.shape, { backend: cpu })).dataSync()[0]!;
    const g = (await sumAll(fromArray(x.data, x.shape, { backend: getB() })).data())[0]!;
    expect(Math.abs(c - g) / absSum).toBeLessThan(1e-8);
  });
  it('many rows fold the grid into y', async () => {
    const rows = 70000 * 8; // > 65535 workgroups at 8 rows per group (n = 3 uses 1 thread per row)
    const x = fromArray(
      Float32Array.from({ length: rows * 3 }, (_, i) => i % 3),
      [rows, 3],
      { backend: getB() },
    );
    const s = await sum(x, 1).data();
    expect(s[0]).toBe(3);
    expect(s[rows - 1]).toBe(3);
    const m = await argmax(x, 1).data();
    expect(m[rows - 1]).toBe(2);
  });
  it('max ties go to the first maximum', async () => {
    const x = fromArray([1, 7, 7, 7, 0, 0, 0, 0], [2, 4], { backend: getB(), requiresGrad: true });
    max(x, 1).backward(fromArray([1, 1], [2], { backend: getB() }));
    expect([...(await x.grad!.data())]).toEqual([0, 1, 0, 0, 1, 0, 0, 0]);
    // ties across lanes in a long row
    const n = 5000;
    const d = new Float32Array(n).fill(-1);
    d[4000] = 3;
    d[1234] = 3;
    d[4097] = 3;
    expect([...(await argmax(fromArray(d, [n], { backend: getB() }), 0).data())]).toEqual([1234]);
    expect([...(await argmax(fromArray(new Float32Array(n).fill(-Infinity), [n], { backend: getB() }), 0).data())]).toEqual([0]);
  });
});
