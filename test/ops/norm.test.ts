import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { normTuning, rmsnorm } from '../../src/ops/norm.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbInput, arbShape, compareBackends, gradError } from '../helpers/gradcheck.ts';

const f64 = (data: number[], shape: number[]) => fromArray(data, shape, { dtype: 'f64', backend: cpu });
const wave = (n: number, a = 1.3, b = 0.2) => Array.from({ length: n }, (_, i) => 2 * Math.sin(a * i + b));

describe('rmsnorm forward values', () => {
  it('normalises each row by its root mean square and scales by the weight', () => {
    const y = rmsnorm(f64([3, 4, 0, 2], [2, 2]), f64([1, 2], [2]), 0).dataSync();
    const r0 = 1 / Math.sqrt(12.5);
    const r1 = 1 / Math.sqrt(2);
    expect([...y]).toEqual([3 * r0, 8 * r0, 0, 4 * r1]);
  });
  it('eps enters under the root', () => {
    const y = rmsnorm(f64([1], [1, 1]), f64([1], [1]), 3).dataSync();
    expect(y[0]).toBeCloseTo(0.5, 12);
  });
  it('is scale invariant: rmsnorm(c·x) = rmsnorm(x) for c > 0 as eps → 0', () => {
    fc.assert(
      fc.property(
        arbShape(1, 3, 6).chain((s) => fc.tuple(arbInput(s, 0.1, 2), fc.double({ min: 0.01, max: 100, noNaN: true }))),
        ([x, c]) => {
          const w = wave(x.shape[x.shape.length - 1]!);
          const d = x.shape[x.shape.length - 1]!;
          const a = rmsnorm(f64(x.data, x.shape), f64(w, [d]), 0).dataSync();
          const b = rmsnorm(
            f64(
              x.data.map((v) => v * c),
              x.shape,
            ),
            f64(w, [d]),
            0,
          ).dataSync();
          for (let i = 0; i < a.length; i++) expect(Math.abs(a[i]! - b[i]!)).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 30 },
    );
  });
});

describe('rmsnorm gradients (f64 finite differences)', () => {
  it('w.r.t. x and weight', () => {
    // Weights away from 0 and eps = 0.1: a near-zero weight, or D = 1 with a tiny eps (y ≈ sign(x)),
    // makes dx vanish and the check would measure f64 round-off instead of the formula.
    fc.assert(
      fc.property(
        arbShape(1, 3, 5).chain((s) => fc.tuple(arbInput(s), arbInput([s[s.length - 1]!], 0.5, 2))),
        ([x, w]) => {
          expect(gradError(([a, b]) => rmsnorm(a!, b!, 0.1), [x, w])).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 30 },
    );
  });
  it('with more rows than one dw chunk (64)', () => {
    const x: Input = { shape: [67, 3], data: wave(201) };
    const w: Input = { shape: [3], data: [0.5, -1, 2] };
    expect(gradError(([a, b]) => rmsnorm(a!, b!, 1e-5), [x, w])).toBeLessThan(1e-6);
  });
});

// Bound: 1e-5 relative (f32 sums in a different order, inverseSqrt within 2 ulp).
forBackends('rmsnorm agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  const cases: number[][] = [[1], [1, 1], [3, 1], [2, 5, 7], [4, 63], [3, 65], [2, 1500], [131, 9]];
  // Both GPU paths on every shape: one thread per row, and one workgroup per row.
  for (const [mode, rowMaxD] of [
    ['row', 1e9],
    ['workgroup', 0],
  ] as const) {
    for (const shape of cases) {
      it(`shape [${shape}] (${mode} kernels)`, async () => {
        const saved = normTuning.rowMaxD;
        normTuning.rowMaxD = rowMaxD;
        try {
          const n = shape.reduce((a, b) => a * b, 1);
          const d = shape[shape.length - 1]!;
          const r = await compareBackends(
            ([x, w]) => rmsnorm(x!, w!, 1e-5),
            [
              { shape, data: wave(n) },
              { shape: [d], data: wave(d, 0.7, 1) },
            ],
            getB(),
          );
          expect(r.fwd).toBeLessThan(1e-5);
          for (const g of r.grads) expect(g).toBeLessThan(1e-5);
        } finally {
          normTuning.rowMaxD = saved;
        }
      });
    }
  }
  it('more than 65535 rows fold the grid', async () => {
    const rows = 65537;
    const r = await compareBackends(
      ([x, w]) => rmsnorm(x!, w!, 1e-5),
      [
        { shape: [rows, 2], data: wave(rows * 2) },
        { shape: [2], data: [1.5, -0.5] },
      ],
      getB(),
    );
    expect(r.fwd).toBeLessThan(1e-5);
    expect(r.grads[0]).toBeLessThan(1e-5);
    // dw sums 65537 signed terms in f32 (chunks of 64, then 1025 partials): looser bound.
    expect(r.grads[1]).toBeLessThan(1e-4);
  });
});

describe('rmsnorm errors', () => {
  const x = fromArray([1, 2, 3, 4, 5, 6], [2, 3], { backend: cpu });
  it('names mismatched shapes', () => {
    expect(() => rmsnorm(x, fromArray([1, 2], [2], { backend: cpu }))).toThrow(
      'rmsnorm: weight [2] does not match the last dim of x [2, 3]',
    );
    expect(() => rmsnorm(x, fromArray([1, 2, 3, 4, 5, 6], [2, 3], { backend: cpu }))).toThrow(
      'rmsnorm: weight must have rank 1, got shape [2, 3]',
    );
  });
  it('rejects integer tensors and bad eps', () => {
    expect(() => rmsnorm(fromArray([1, 2], [2], { backend: cpu, dtype: 'i32' }), fromArray([1, 2], [2], { backend: cpu }))).toThrow(
      /rmsnorm: expected a float tensor, got i32/,
    );
    expect(() => rmsnorm(x, fromArray([1, 2, 3], [3], { backend: cpu }), -1)).toThrow('rmsnorm: eps must be a finite number ≥ 0, got -1');
  });
});
