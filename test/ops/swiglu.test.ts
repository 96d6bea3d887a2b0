import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { mul, silu } from '../../src/ops/elementwise.ts';
import { swiglu } from '../../src/ops/swiglu.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { arbInput, arbShape, compareBackends, gradError } from '../helpers/gradcheck.ts';

const f64 = (data: number[], shape: number[]) => fromArray(data, shape, { dtype: 'f64', backend: cpu });
const wave = (n: number, a = 1.3, b = 0.2) => Array.from({ length: n }, (_, i) => 4 * Math.sin(a * i + b));

describe('swiglu forward values', () => {
  it('is silu(gate) · up', () => {
    const y = swiglu(f64([0, 1, -2], [3]), f64([5, 2, 3], [3])).dataSync();
    expect(y[0]).toBe(0);
    expect(y[1]).toBeCloseTo(2 / (1 + Math.exp(-1)), 15);
    expect(y[2]).toBeCloseTo((3 * -2) / (1 + Math.exp(2)), 15);
  });
  it('equals the unfused composition mul(silu(gate), up)', () => {
    fc.assert(
      fc.property(
        arbShape(0, 3, 6).chain((s) => fc.tuple(arbInput(s, -6, 6), arbInput(s, -6, 6))),
        ([g, u]) => {
          const a = swiglu(f64(g.data, g.shape), f64(u.data, u.shape)).dataSync();
          const b = mul(silu(f64(g.data, g.shape)), f64(u.data, u.shape)).dataSync();
          expect([...a]).toEqual([...b]);
        },
      ),
      { numRuns: 20 },
    );
  });
  it('saturates without NaN for very negative gates', async () => {
    const b = await gpu();
    const y = await swiglu(fromArray([-200, -100, 100], [3], { backend: b }), fromArray([1, 1, 1], [3], { backend: b })).data();
    expect(Math.abs(y[0]!)).toBe(0);
    expect(Math.abs(y[1]!)).toBeLessThan(1e-40);
    expect(y[2]).toBe(100);
  });
});

describe('swiglu gradients (f64 finite differences)', () => {
  it('w.r.t. gate and up', () => {
    fc.assert(
      fc.property(
        arbShape(0, 3, 5).chain((s) => fc.tuple(arbInput(s, -4, 4), arbInput(s, -4, 4))),
        ([g, u]) => {
          expect(gradError(([a, b]) => swiglu(a!, b!), [g, u])).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 30 },
    );
  });
  it('only the input that needs it gets a gradient', () => {
    const g = f64([0.5, -1], [2]);
    const u = f64([2, 3], [2]);
    g.requiresGrad = true;
    swiglu(g, u).backward(f64([1, 1], [2]));
    expect(g.grad).not.toBeNull();
    expect(u.grad).toBeNull();
  });
});

// Bound: 1e-5 relative (exp within a few ulp on the GPU).
forBackends('swiglu agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  for (const shape of [[1], [7], [3, 1, 5], [2, 777], [257, 3]]) {
    it(`shape [${shape}]`, async () => {
      const n = shape.reduce((a, b) => a * b, 1);
      const r = await compareBackends(
        ([g, u]) => swiglu(g!, u!),
        [
          { shape, data: wave(n) },
          { shape, data: wave(n, 0.7, 1) },
        ],
        getB(),
      );
      expect(r.fwd).toBeLessThan(1e-5);
      for (const g of r.grads) expect(g).toBeLessThan(1e-5);
    });
  }
});

describe('swiglu errors', () => {
  it('names mismatched shapes and dtypes', () => {
    const a = fromArray([1, 2, 3], [3], { backend: cpu });
    expect(() => swiglu(a, fromArray([1, 2], [2], { backend: cpu }))).toThrow('swiglu: gate [3] and up [2] must have the same shape');
    expect(() => swiglu(a, fromArray([1, 2, 3], [3], { backend: cpu, dtype: 'f64' }))).toThrow('swiglu: dtype mismatch f32 vs f64');
    expect(() => swiglu(fromArray([1], [1], { backend: cpu, dtype: 'i32' }), a)).toThrow(/swiglu: expected a float tensor, got i32/);
  });
});
