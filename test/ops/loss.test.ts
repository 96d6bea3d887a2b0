import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { crossEntropy, crossEntropyRows } from '../../src/ops/loss.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbData, compareBackends, gradError } from '../helpers/gradcheck.ts';

const f64 = (data: number[], shape: number[]) => fromArray(data, shape, { dtype: 'f64', backend: cpu });
const i32 = (data: number[], shape = [data.length]) => fromArray(data, shape, { dtype: 'i32', backend: cpu });
const wave = (n: number, a = 1.3, b = 0.2) => Array.from({ length: n }, (_, i) => 3 * Math.sin(a * i + b));

/** −log softmax(row)[t] in f64, the obvious way. */
function nll(row: number[], t: number): number {
  const m = Math.max(...row);
  return Math.log(row.reduce((s, x) => s + Math.exp(x - m), 0)) + m - row[t]!;
}

/** logits [...rows, V] with targets in [0, V) and some ignored (-100). */
const arbCase = fc
  .record({
    v: fc.integer({ min: 1, max: 6 }),
    rows: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 0, maxLength: 2 }),
  })
  .chain(({ v, rows }) => {
    const n = rows.reduce((a, b) => a * b, 1);
    return fc
      .tuple(arbData(n * v, -3, 3), fc.array(fc.integer({ min: -1, max: v - 1 }), { minLength: n, maxLength: n }))
      .map(([logits, ts]): [Input, Input] => [
        { shape: [...rows, v], data: logits },
        { shape: rows, data: ts.map((t) => (t < 0 ? -100 : t)), int: true },
      ]);
  });

describe('cross-entropy forward values', () => {
  it('hand-made rows', () => {
    expect(crossEntropy(f64([0, 0], [1, 2]), i32([0])).dataSync()[0]).toBeCloseTo(Math.log(2), 15);
    const want = -Math.log(Math.exp(3) / (Math.exp(1) + Math.exp(2) + Math.exp(3)));
    expect(crossEntropy(f64([1, 2, 3], [3]), i32([2], [])).dataSync()[0]).toBeCloseTo(want, 15);
    const rows = crossEntropyRows(f64([0, 0, 1, 2, 3, 0], [2, 3]), i32([1, -100]));
    expect(rows.shape).toEqual([2]);
    expect([...rows.dataSync()]).toEqual([nll([0, 0, 1], 1), 0]);
  });
  it('the mean is over non-ignored targets only', () => {
    const logits = wave(12);
    const got = crossEntropy(f64(logits, [4, 3]), i32([2, -100, 0, -100])).dataSync()[0]!;
    expect(got).toBeCloseTo((nll(logits.slice(0, 3), 2) + nll(logits.slice(6, 9), 0)) / 2, 14);
    const custom = crossEntropy(f64(logits, [4, 3]), i32([2, 1, 0, 1]), { ignoreIndex: 1 }).dataSync()[0]!;
    expect(custom).toBeCloseTo(got, 14);
  });
  it('an all-ignored batch gives loss 0 and a zero gradient', () => {
    const x = f64(wave(6), [2, 3]);
    x.requiresGrad = true;
    const loss = crossEntropy(x, i32([-100, -100]));
    expect(loss.shape).toEqual([]);
    expect(loss.dataSync()[0]).toBe(0);
    loss.backward();
    expect([...x.grad!.dataSync()]).toEqual([0, 0, 0, 0, 0, 0]);
  });
});

describe('cross-entropy properties', () => {
  it('equals −log softmax gathered at the target, and is ≥ 0', () => {
    fc.assert(
      fc.property(arbCase, ([l, t]) => {
        const v = l.shape[l.shape.length - 1]!;
        const rows = crossEntropyRows(f64(l.data, l.shape), i32(t.data, t.shape)).dataSync();
        t.data.forEach((tg, r) => {
          const want = tg === -100 ? 0 : nll(l.data.slice(r * v, (r + 1) * v), tg);
          expect(rows[r]).toBeCloseTo(want, 12);
          expect(rows[r]).toBeGreaterThanOrEqual(0);
        });
      }),
      { numRuns: 40 },
    );
  });
  it('uniform logits give log V', () => {
    for (const v of [1, 2, 7, 32000]) {
      const loss = crossEntropy(f64(new Array<number>(2 * v).fill(0.25), [2, v]), i32([0, v - 1])).dataSync()[0]!;
      expect(loss).toBeCloseTo(Math.log(v), 12);
    }
  });
  it('is shift invariant per row and stable for large logits', () => {
    const a = crossEntropy(f64([1, 2, 3], [1, 3]), i32([1])).dataSync()[0]!;
    const b = crossEntropy(f64([1001, 1002, 1003], [1, 3]), i32([1])).dataSync()[0]!;
    expect(b).toBeCloseTo(a, 12);
  });
});

describe('cross-entropy gradients (f64 finite differences)', () => {
  it('mean w.r.t. logits, with ignored targets', () => {
    fc.assert(
      fc.property(arbCase, ([l, t]) => {
        expect(gradError(([x, y]) => crossEntropy(x!, y!), [l, t])).toBeLessThan(1e-6);
      }),
      { numRuns: 40 },
    );
  });
  it('rows w.r.t. logits, with ignored targets', () => {
    fc.assert(
      fc.property(arbCase, ([l, t]) => {
        expect(gradError(([x, y]) => crossEntropyRows(x!, y!), [l, t])).toBeLessThan(1e-6);
      }),
      { numRuns: 40 },
    );
  });
});

// Bound: 1e-5 relative (f32 log-sum-exp over up to 32000 terms in a different order; GPU exp
// within a few ulp). Gradients are softmax entries ≤ 1 scaled by 1/count.
forBackends('cross-entropy agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  const cases: [number[], number[]][] = [
    [[1, 1], [0]],
    [
      [3, 5],
      [4, -100, 0],
    ],
    [
      [2, 3, 7],
      [6, 0, -100, 3, 3, 1],
    ],
    [
      [3, 1023],
      [1022, 5, -100],
    ],
    [
      [2, 32000],
      [31999, 17],
    ],
    [
      [4, 32001],
      [0, -100, 32000, 12345],
    ],
  ];
  for (const [shape, targets] of cases) {
    it(`logits [${shape}]`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const inputs: Input[] = [
        { shape, data: wave(n) },
        { shape: shape.slice(0, -1), data: targets, int: true },
      ];
      for (const f of [crossEntropy, crossEntropyRows]) {
        const r = await compareBackends(([x, y]) => f(x!, y!), inputs, getB());
        expect(r.fwd).toBeLessThan(1e-5);
        expect(r.grads[0]).toBeLessThan(1e-5);
      }
    });
  }
  it('more than 65535 rows fold the grid', async () => {
    const rows = 65537;
    const inputs: Input[] = [
      { shape: [rows, 2], data: wave(2 * rows) },
      { shape: [rows], data: Array.from({ length: rows }, (_, i) => (i % 5 === 4 ? -100 : i % 2)), int: true },
    ];
    const r = await compareBackends(([x, y]) => crossEntropy(x!, y!), inputs, getB());
    expect(r.fwd).toBeLessThan(1e-5);
    expect(r.grads[0]).toBeLessThan(1e-5);
  });
  it('an all-ignored batch gives loss 0 and a zero gradient', async () => {
    const x = fromArray(wave(6), [2, 3], { backend: getB(), requiresGrad: true });
    const loss = crossEntropy(x, fromArray([-100, -100], [2], { backend: getB(), dtype: 'i32' }));
    expect(await loss.item()).toBe(0);
    loss.backward();
    expect([...(await x.grad!.data())]).toEqual([0, 0, 0, 0, 0, 0]);
  });
  if (kind === 'webgpu') {
    it('an out-of-range target gives a NaN loss on the GPU (documented)', async () => {
      const b = getB();
      const loss = crossEntropy(fromArray(wave(6), [2, 3], { backend: b }), fromArray([0, 3], [2], { backend: b, dtype: 'i32' }));
      expect(Number.isNaN(await loss.item())).toBe(true);
    });
  }
});

describe('cross-entropy errors', () => {
  const logits = fromArray(wave(6), [2, 3], { backend: cpu });
  it('names dtypes and shapes', () => {
    expect(() => crossEntropy(logits, fromArray([0, 1], [2], { backend: cpu }))).toThrow('crossEntropy: targets must be i32, got f32 [2]');
    expect(() => crossEntropy(logits, i32([0, 1, 2]))).toThrow(
      'crossEntropy: targets [3] must have the shape of logits [2, 3] without the last dim',
    );
    expect(() => crossEntropyRows(i32([0, 1]), i32([0]))).toThrow(/crossEntropyRows: expected a float tensor, got i32/);
    expect(() => crossEntropy(fromArray([], [2, 0], { backend: cpu }), i32([0, 0]))).toThrow(
      'crossEntropy: logits [2, 0] have an empty vocabulary',
    );
  });
  it('out-of-range targets throw on the cpu', () => {
    expect(() => crossEntropy(logits, i32([0, 3]))).toThrow(
      'crossEntropy: target 3 at position 1 is out of range for 3 classes (ignoreIndex -100)',
    );
    expect(() => crossEntropyRows(logits, i32([-1, 0]))).toThrow('crossEntropyRows: target -1 at position 0 is out of range');
  });
});
