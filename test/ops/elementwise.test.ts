import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { broadcastShapes } from '../../src/core/shape.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { type UnaryOp, add, broadcastTo, div, fillOn, mul, sub, sumTo, unary } from '../../src/ops/elementwise.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbInput, arbShape, compareBackends, gradError } from '../helpers/gradcheck.ts';

// Domains keep each function smooth away from its kinks (relu at 0, pow/log/sqrt at 0).
const domains: Record<UnaryOp, [number, number, number]> = {
  neg: [-3, 3, 0],
  exp: [-3, 3, 0],
  log: [0.2, 4, 0],
  sqrt: [0.2, 4, 0],
  rsqrt: [0.2, 4, 0],
  silu: [-4, 4, 0],
  sigmoid: [-4, 4, 0],
  pow: [0.3, 3, 2.5],
  scale: [-3, 3, -1.5],
  addScalar: [-3, 3, 0.75],
  relu: [0.1, 3, 0],
  tanh: [-3, 3, 0],
};
const unaryOps = Object.keys(domains) as UnaryOp[];

/** Two shapes that broadcast: drop and squash dims of one at random. */
const arbBroadcastPair = arbShape(0, 4, 4).chain((s) =>
  fc
    .tuple(fc.constant(s), fc.array(fc.boolean(), { minLength: s.length, maxLength: s.length }), fc.integer({ min: 0, max: s.length }))
    .map(([a, ones, drop]) => {
      const b = s.map((d, i) => (ones[i] ? 1 : d)).slice(drop);
      return [a, b] as [number[], number[]];
    }),
);

describe('elementwise forward values', () => {
  it('unary ops match Math on the cpu', () => {
    const x = fromArray([0.5, 1.5, 2], [3], { backend: cpu });
    expect([...unary('exp', x).dataSync()]).toEqual([0.5, 1.5, 2].map((v) => Math.fround(Math.exp(v))));
    expect([...unary('pow', x, 3).dataSync()]).toEqual([0.125, 3.375, 8]);
    expect([...unary('silu', x).dataSync()][0]).toBeCloseTo(0.5 / (1 + Math.exp(-0.5)), 6);
  });
  it('binary broadcasting follows numpy', () => {
    const a = fromArray([1, 2, 3, 4, 5, 6], [2, 3], { backend: cpu });
    const b = fromArray([10, 20], [2, 1], { backend: cpu });
    expect([...add(a, b).dataSync()]).toEqual([11, 12, 13, 24, 25, 26]);
    expect([...sumTo(a, [3]).dataSync()]).toEqual([5, 7, 9]);
    expect([...broadcastTo(b, [2, 3]).dataSync()]).toEqual([10, 10, 10, 20, 20, 20]);
  });
  it('errors name the shapes', () => {
    const a = fromArray([1, 2, 3], [3], { backend: cpu });
    const b = fromArray([1, 2], [2], { backend: cpu });
    expect(() => add(a, b)).toThrow(/add: shapes \[3\] and \[2\] cannot be broadcast/);
    const i = fromArray([1, 2, 3], [3], { backend: cpu, dtype: 'i32' });
    expect(() => mul(a, i)).toThrow(/expected a float tensor, got i32/);
    const d = fromArray([1, 2, 3], [3], { backend: cpu, dtype: 'f64' });
    expect(() => sub(a, d)).toThrow(/dtype mismatch f32 vs f64/);
  });
});

describe('elementwise gradients (f64 finite differences)', () => {
  for (const op of unaryOps) {
    it(`${op}`, () => {
      const [lo, hi, alpha] = domains[op];
      fc.assert(
        fc.property(
          arbShape(0, 3).chain((s) => arbInput(s, lo, hi)),
          (x) => {
            expect(gradError(([t]) => unary(op, t!, alpha), [x])).toBeLessThan(1e-6);
          },
        ),
        { numRuns: 20 },
      );
    });
  }
  for (const [name, f] of [
    ['add', add],
    ['sub', sub],
    ['mul', mul],
    ['div', div],
  ] as const) {
    it(`${name} with broadcasting`, () => {
      fc.assert(
        fc.property(
          arbBroadcastPair.chain(([sa, sb]) => fc.tuple(arbInput(sa, 0.5, 2), arbInput(sb, 0.5, 2))),
          ([a, b]) => {
            expect(gradError(([x, y]) => f(x!, y!), [a, b])).toBeLessThan(1e-6);
          },
        ),
        { numRuns: 25 },
      );
    });
  }
  it('sumTo and broadcastTo', () => {
    fc.assert(
      fc.property(
        arbBroadcastPair.chain(([sa, sb]) => fc.tuple(arbInput(sa), arbInput(sb))),
        ([a, b]) => {
          const full = broadcastShapes(a.shape, b.shape);
          expect(gradError(([x]) => sumTo(broadcastTo(x!, full), b.shape), [b])).toBeLessThan(1e-6);
        },
      ),
      { numRuns: 25 },
    );
  });
});

forBackends('elementwise agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  for (const op of unaryOps) {
    it(`${op} fwd/bwd`, async () => {
      const [lo, hi, alpha] = domains[op];
      await fc.assert(
        fc.asyncProperty(
          arbShape(0, 3, 7).chain((s) => arbInput(s, lo, hi)),
          async (x) => {
            const r = await compareBackends(([t]) => unary(op, t!, alpha), [x], getB());
            expect(r.fwd).toBeLessThan(1e-5);
            expect(r.grads[0]).toBeLessThan(1e-5);
          },
        ),
        { numRuns: 8 },
      );
    });
  }
  it('binary ops with broadcasting fwd/bwd', async () => {
    await fc.assert(
      fc.asyncProperty(
        arbBroadcastPair.chain(([sa, sb]) => fc.tuple(arbInput(sa, 0.5, 2), arbInput(sb, 0.5, 2))),
        async ([a, b]) => {
          for (const f of [add, sub, mul, div]) {
            const r = await compareBackends(([x, y]) => f(x!, y!), [a, b] as Input[], getB());
            expect(r.fwd).toBeLessThan(1e-5);
            for (const g of r.grads) expect(g).toBeLessThan(1e-5);
          }
        },
      ),
      { numRuns: 10 },
    );
  });
  it('large tensors fold the grid into y', async () => {
    const n = 256 * 65535 + 1000;
    const x = fromArray(new Float32Array(n).fill(1.5), [n], { backend: getB() });
    const y = await unary('scale', x, 2).data();
    expect(y[0]).toBe(3);
    expect(y[n - 1]).toBe(3);
  });
});

forBackends('fill on the device', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  it('writes f32 and i32 values (raw bits differ: i32 needs its own entry)', async () => {
    expect([...(await fillOn(getB(), [3], -2.5).data())]).toEqual([-2.5, -2.5, -2.5]);
    const ints = await fillOn(getB(), [2, 2], -7, 'i32').data();
    expect(ints).toBeInstanceOf(Int32Array);
    expect([...ints]).toEqual([-7, -7, -7, -7]);
  });
});
