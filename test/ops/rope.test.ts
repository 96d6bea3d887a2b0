import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, scope } from '../../src/core/tensor.ts';
import type { RopeLayout, RopeScaling } from '../../src/ops/rope.ts';
import { rope, ropeFrequencies } from '../../src/ops/rope.ts';
import { permute } from '../../src/ops/shape.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbData, compareBackends, gradError } from '../helpers/gradcheck.ts';

const layouts: RopeLayout[] = ['interleaved', 'half'];
const f64 = (data: number[], shape: number[]) => fromArray(data, shape, { dtype: 'f64', backend: cpu });
const wave = (n: number, a = 1.3, b = 0.2) => Array.from({ length: n }, (_, i) => 2 * Math.sin(a * i + b));
const ropeHost = (data: number[], shape: number[], layout: RopeLayout, offset = 0, theta = 10000) => [
  ...rope(f64(data, shape), { layout, offset, theta }).dataSync(),
];

/** [B, H, T, hd] with small, odd and size-1 dims and an even head dim. */
const arbRopeShape = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.integer({ min: 1, max: 3 }), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 }))
  .map(([b, h, t, half]) => [b, h, t, 2 * half]);
const arbRopeInput = arbRopeShape.chain((s) => arbData(s.reduce((a, b) => a * b, 1)).map((data): Input => ({ shape: s, data })));

describe('rope forward values', () => {
  it('rotates pair 0 by the position (freq 1) and later pairs by theta^(-2i/hd)', () => {
    // hd = 4: freq_0 = 1, freq_1 = 1/100 (theta 10000); rows at positions 0 and 1
    const x = [1, 0, 1, 0, 1, 0, 1, 0];
    const y = ropeHost(x, [1, 1, 2, 4], 'interleaved');
    expect(y.slice(0, 4)).toEqual([1, 0, 1, 0]);
    const a1 = Math.fround(Math.fround(1 / 100));
    const want = [Math.cos(1), Math.sin(1), Math.cos(a1), Math.sin(a1)];
    y.slice(4).forEach((v, i) => expect(v).toBeCloseTo(want[i]!, 15));
  });
  it("the 'half' layout pairs i with i + hd/2", () => {
    const y = ropeHost([1, 1, 0, 0], [1, 1, 1, 4], 'half', 1);
    const a1 = Math.fround(1 / 100);
    [Math.cos(1), Math.cos(a1), Math.sin(1), Math.sin(a1)].forEach((w, i) => expect(y[i]).toBeCloseTo(w, 15));
  });
  it('frequencies follow the f32 formula of llama2.c', () => {
    const f = ropeFrequencies(10000, 64);
    expect(f.length).toBe(32);
    for (let i = 0; i < 32; i++) {
      expect(f[i]).toBe(Math.fround(1 / Math.fround(Math.pow(10000, Math.fround((2 * i) / 64)))));
      expect(f[i]! / Math.pow(10000, (-2 * i) / 64)).toBeCloseTo(1, 6);
    }
  });
});

describe('rope frequency scaling', () => {
  const base8 = [1, 0.1, 0.01, 0.001]; // theta 10000, hd 8: 10000^(-2i/8)
  const llama3: RopeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 1000 };
  it('linear divides every frequency by the factor', () => {
    const f = ropeFrequencies(10000, 8, { type: 'linear', factor: 4 });
    base8.forEach((b, i) => expect(f[i]! / (b / 4)).toBeCloseTo(1, 6));
  });
  it('llama3: short wavelengths kept, long ones divided by the factor, the band between blended (hand-computed)', () => {
    // wavelengths 2π/freq: 6.28 and 62.8 are < 1000/4 = 250 (kept); 6283 > 1000/1 (÷ 8);
    // 628.3 lies between: s = (1000 / 628.3 − 1) / (4 − 1) = 0.19718, freq = (1 − s)·0.01/8 + s·0.01
    const s = (1000 / ((2 * Math.PI) / 0.01) - 1) / 3;
    expect(s).toBeCloseTo(0.197183, 6);
    const want = [1, 0.1, (1 - s) * 0.00125 + s * 0.01, 0.000125];
    const f = ropeFrequencies(10000, 8, llama3);
    want.forEach((w, i) => expect(f[i]! / w, `freq ${i}`).toBeCloseTo(1, 6));
    expect(f[2]).toBeCloseTo(0.00297535, 8);
  });
  it('llama3 with factor 1 changes nothing; every scaled frequency lies between freq/factor and freq', () => {
    expect(ropeFrequencies(500000, 64, { ...llama3, factor: 1 })).toEqual(ropeFrequencies(500000, 64));
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.double({ min: 1, max: 64, noNaN: true }),
        fc.double({ min: 0.5, max: 4, noNaN: true }),
        fc.double({ min: 0.1, max: 4, noNaN: true }),
        fc.integer({ min: 16, max: 9000 }),
        (half, factor, low, span, orig) => {
          const sc: RopeScaling = { type: 'llama3', factor, lowFreqFactor: low, highFreqFactor: low + span, originalMaxPositions: orig };
          const f = ropeFrequencies(500000, 2 * half, sc);
          const b = ropeFrequencies(500000, 2 * half);
          f.forEach((v, i) => {
            expect(v).toBeLessThanOrEqual(b[i]! * (1 + 1e-6));
            expect(v).toBeGreaterThanOrEqual((b[i]! / factor) * (1 - 1e-6));
            if (i > 0) expect(v).toBeLessThanOrEqual(f[i - 1]!); // still decreasing with i
          });
        },
      ),
      { numRuns: 60 },
    );
  });
  it('rope rotates by the scaled frequencies', () => {
    const y = [
      ...rope(f64([1, 0, 1, 0, 1, 0, 1, 0], [1, 1, 1, 8]), { layout: 'interleaved', offset: 3, theta: 10000, scaling: llama3 }).dataSync(),
    ];
    const f = ropeFrequencies(10000, 8, llama3);
    for (let i = 0; i < 4; i++) {
      const a = Math.fround(3 * f[i]!);
      expect(y[2 * i]).toBeCloseTo(Math.cos(a), 15);
      expect(y[2 * i + 1]).toBeCloseTo(Math.sin(a), 15);
    }
  });
  it('refuses invalid scalings, naming the field', () => {
    const x = f64([1, 0], [1, 1, 1, 2]);
    expect(() => rope(x, { layout: 'half', scaling: { type: 'linear', factor: 0 } })).toThrow(
      'rope: invalid scaling: factor=0 must be a finite number > 0',
    );
    expect(() => rope(x, { layout: 'half', scaling: { ...llama3, lowFreqFactor: 4 } })).toThrow(
      'rope: invalid scaling: lowFreqFactor=4 must be < highFreqFactor=4',
    );
    expect(() => rope(x, { layout: 'half', scaling: { ...llama3, originalMaxPositions: 1.5 } })).toThrow(
      'originalMaxPositions=1.5 must be a positive integer',
    );
    expect(() => rope(x, { layout: 'half', scaling: { type: 'yarn', factor: 2 } as unknown as RopeScaling })).toThrow(
      `rope: invalid scaling: type="yarn" must be 'linear' or 'llama3'`,
    );
  });
  it('f64 finite differences w.r.t. x with llama3 scaling', () => {
    fc.assert(
      fc.property(arbRopeInput, fc.integer({ min: 0, max: 500 }), (x, offset) => {
        expect(
          gradError(([t]) => rope(t!, { layout: 'half', offset, theta: 500, scaling: { ...llama3, originalMaxPositions: 20 } }), [x]),
        ).toBeLessThan(1e-6);
      }),
      { numRuns: 15 },
    );
  });
});

describe('rope properties', () => {
  it('preserves the norm of every head vector', () => {
    fc.assert(
      fc.property(arbRopeInput, fc.integer({ min: 0, max: 3000 }), fc.constantFrom(...layouts), (x, offset, layout) => {
        const y = ropeHost(x.data, x.shape, layout, offset);
        const hd = x.shape[3]!;
        for (let r = 0; r < x.data.length / hd; r++) {
          const n0 = x.data.slice(r * hd, (r + 1) * hd).reduce((s, v) => s + v * v, 0);
          const n1 = y.slice(r * hd, (r + 1) * hd).reduce((s, v) => s + v * v, 0);
          expect(Math.abs(n0 - n1)).toBeLessThan(1e-12 * Math.max(1, n0));
        }
      }),
      { numRuns: 30 },
    );
  });
  it('is relative: <rope(q, m), rope(k, n)> depends only on m - n', () => {
    // angles are f32 products like llama2.c, so agreement is to ~ulp(pos · freq), not exact
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.integer({ min: 0, max: 60 }),
        fc.constantFrom(...layouts),
        (half, m, n, shift, layout) => {
          const hd = 2 * half;
          const q = wave(hd);
          const k = wave(hd, 0.7, 1.1);
          const dot = (a: number[], b: number[]) => a.reduce((s, v, i) => s + v * b[i]!, 0);
          const d0 = dot(ropeHost(q, [1, 1, 1, hd], layout, m), ropeHost(k, [1, 1, 1, hd], layout, n));
          const d1 = dot(ropeHost(q, [1, 1, 1, hd], layout, m + shift), ropeHost(k, [1, 1, 1, hd], layout, n + shift));
          expect(Math.abs(d0 - d1)).toBeLessThan(5e-4); // |q||k| ≤ 64, angle rounding ≤ 4 · ulp(120)/2 per pair
        },
      ),
      { numRuns: 40 },
    );
  });
  it('offset k equals slicing rows k.. of a longer sequence', () => {
    fc.assert(
      fc.property(arbRopeInput, fc.integer({ min: 0, max: 3 }), fc.constantFrom(...layouts), (x, k, layout) => {
        const [b, h, t, hd] = x.shape as [number, number, number, number];
        const long = ropeHost(x.data, x.shape, layout, 0);
        const sliceRows = (d: number[], from: number) => {
          const out: number[] = [];
          for (let bh = 0; bh < b * h; bh++) out.push(...d.slice((bh * t + from) * hd, (bh + 1) * t * hd));
          return out;
        };
        const from = Math.min(k, t - 1);
        expect(ropeHost(sliceRows(x.data, from), [b, h, t - from, hd], layout, from)).toEqual(sliceRows(long, from));
      }),
      { numRuns: 30 },
    );
  });
  it('interleaved and half agree after permuting dims within each head', () => {
    fc.assert(
      fc.property(arbRopeInput, fc.integer({ min: 0, max: 100 }), (x, offset) => {
        const hd = x.shape[3]!;
        // interleaved (2i, 2i+1) -> half (i, i + hd/2)
        const perm = (d: number[]) =>
          d.map((_, j) => {
            const head = j - (j % hd);
            const c = j % hd;
            return d[head + (c < hd / 2 ? 2 * c : 2 * (c - hd / 2) + 1)]!;
          });
        expect(ropeHost(perm(x.data), x.shape, 'half', offset)).toEqual(perm(ropeHost(x.data, x.shape, 'interleaved', offset)));
      }),
      { numRuns: 30 },
    );
  });
  it('the backward undoes the forward: gradient of Σ rope(x)·g is rope⁻¹(g)', () => {
    const x = f64(wave(24), [1, 2, 3, 4]);
    x.requiresGrad = true;
    const y = rope(x, { layout: 'half', offset: 5 });
    y.backward(f64(ropeHost(wave(24, 0.3), [1, 2, 3, 4], 'half', 5), [1, 2, 3, 4]));
    [...x.grad!.dataSync()].forEach((v, i) => expect(v).toBeCloseTo(wave(24, 0.3)[i]!, 12));
  });
});

describe('rope on time-major x [B, T, H, hd] (seqAxis 1)', () => {
  /** Forward output and input gradient (backward with fixed weights), CPU f64. */
  const outAndGrad = (f: (x: Tensor) => Tensor, x: Input): number[][] =>
    scope(() => {
      const t = fromArray(x.data, x.shape, { dtype: 'f64', backend: cpu, requiresGrad: true });
      const y = f(t);
      y.backward(f64(wave(y.size, 0.9, 0.4), [...y.shape]));
      const res = [[...y.dataSync()], [...t.grad!.dataSync()]];
      t.grad!.dispose();
      return res;
    });
  it('equals permuting to [B, H, T, hd], the default, and permuting back: forward and gradient', () => {
    fc.assert(
      fc.property(arbRopeInput, fc.integer({ min: 0, max: 3000 }), fc.constantFrom(...layouts), (x, offset, layout) => {
        const want = outAndGrad((t) => permute(rope(permute(t, [0, 2, 1, 3]), { layout, offset }), [0, 2, 1, 3]), x);
        const got = outAndGrad((t) => rope(t, { layout, offset, seqAxis: 1 }), x);
        expect(got).toEqual(want); // the same arithmetic, only the position lookup differs
      }),
      { numRuns: 40 },
    );
  });
  it('position is the index along axis 1: every head of a time step rotates alike', () => {
    const y = [
      ...rope(
        f64(
          new Array<number>(12).fill(0).map((_, i) => (i % 2 === 0 ? 1 : 0)),
          [1, 2, 3, 2],
        ),
        { layout: 'interleaved', seqAxis: 1 },
      ).dataSync(),
    ];
    // [t][h][pair]: t = 0 -> angle 0, t = 1 -> angle 1 for all three heads
    for (let h = 0; h < 3; h++) {
      expect(y.slice(2 * h, 2 * h + 2)).toEqual([1, 0]);
      expect(y[6 + 2 * h]).toBeCloseTo(Math.cos(1), 15);
      expect(y[7 + 2 * h]).toBeCloseTo(Math.sin(1), 15);
    }
  });
  for (const layout of layouts) {
    it(`${layout}: f64 finite differences w.r.t. x, with offsets`, () => {
      fc.assert(
        fc.property(arbRopeInput, fc.integer({ min: 0, max: 500 }), (x, offset) => {
          expect(gradError(([t]) => rope(t!, { layout, offset, theta: 500, seqAxis: 1 }), [x])).toBeLessThan(1e-6);
        }),
        { numRuns: 25 },
      );
    });
  }
});

describe('rope gradients (f64 finite differences)', () => {
  for (const layout of layouts) {
    it(`${layout} w.r.t. x, with offsets`, () => {
      fc.assert(
        fc.property(arbRopeInput, fc.integer({ min: 0, max: 500 }), (x, offset) => {
          expect(gradError(([t]) => rope(t!, { layout, offset, theta: 500 }), [x])).toBeLessThan(1e-6);
        }),
        { numRuns: 25 },
      );
    });
  }
});

// Bound: 1e-5 relative. Angles are the same f32 products on both sides; the GPU's cos/sin of the
// 2π-reduced angle differ from Math.cos/sin by ~1e-7 (measured ~2e-7 at position 4000).
forBackends('rope agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  const cases: [number[], number][] = [
    [[1, 1, 1, 2], 0],
    [[2, 3, 5, 6], 3],
    [[1, 2, 7, 64], 4000],
    [[2, 1, 3, 128], 17],
    [[1, 1, 2, 512], 100000],
  ];
  for (const layout of layouts) {
    for (const [shape, offset] of cases) {
      it(`${layout} [${shape}] offset ${offset}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const r = await compareBackends(([x]) => rope(x!, { layout, offset }), [{ shape, data: wave(n) }], getB());
        expect(r.fwd).toBeLessThan(1e-5);
        expect(r.grads[0]).toBeLessThan(1e-5);
      });
    }
  }
  // time-major [B, T, H, hd]: odd T and H, decode (T = 1) at a large offset, big head dims
  const tmCases: [number[], number][] = [
    [[1, 1, 1, 2], 0],
    [[2, 5, 3, 6], 3],
    [[3, 1, 7, 64], 4000],
    [[2, 3, 1, 128], 17],
    [[1, 2, 3, 512], 100000],
  ];
  for (const layout of layouts) {
    for (const [shape, offset] of tmCases) {
      it(`seqAxis 1: ${layout} [${shape}] offset ${offset}`, async () => {
        const n = shape.reduce((a, b) => a * b, 1);
        const r = await compareBackends(([x]) => rope(x!, { layout, offset, seqAxis: 1 }), [{ shape, data: wave(n) }], getB());
        expect(r.fwd).toBeLessThan(1e-5);
        expect(r.grads[0]).toBeLessThan(1e-5);
      });
    }
  }
  const scalings: RopeScaling[] = [
    { type: 'linear', factor: 2.5 },
    { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 64 },
  ];
  for (const scaling of scalings) {
    it(`${scaling.type} scaling, both layouts and seqAxes (property)`, async () => {
      await fc.assert(
        fc.asyncProperty(
          arbRopeInput,
          fc.integer({ min: 0, max: 3000 }),
          fc.constantFrom(...layouts),
          fc.constantFrom(1 as const, 2 as const),
          async (x, offset, layout, seqAxis) => {
            const r = await compareBackends(([t]) => rope(t!, { layout, offset, seqAxis, theta: 500000, scaling }), [x], getB());
            expect(r.fwd).toBeLessThan(1e-5);
            expect(r.grads[0]).toBeLessThan(1e-5);
          },
        ),
        { numRuns: 15 },
      );
    });
  }
  if (kind === 'webgpu') {
    it('head dims past the uniform frequency table are refused on the GPU', () => {
      // launch allocates the output before the kernel refuses: the scope frees it
      expect(() => scope(() => rope(fromArray(new Float32Array(514), [1, 1, 1, 514], { backend: getB() }), { layout: 'half' }))).toThrow(
        'rope: head dim 514 exceeds the GPU limit 512',
      );
    });
  }
});

describe('rope errors', () => {
  const mk = (shape: number[], dtype: 'f32' | 'i32' = 'f32') =>
    fromArray(new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1), shape, { backend: cpu, dtype });
  it('names the bad head dim, rank and dtype', () => {
    expect(() => rope(mk([1, 1, 2, 3]), { layout: 'half' })).toThrow('rope: head dim must be even and ≥ 2, got 3 in x [1, 1, 2, 3]');
    expect(() => rope(mk([1, 2, 4]), { layout: 'half' })).toThrow(
      'rope: x ([batch, heads, time, headDim]) must have rank 4, got shape [1, 2, 4]',
    );
    expect(() => rope(mk([1, 1, 1, 2], 'i32'), { layout: 'half' })).toThrow(/rope: expected a float tensor, got i32/);
    expect(() => rope(mk([1, 2, 4]), { layout: 'half', seqAxis: 1 })).toThrow(
      'rope: x ([batch, time, heads, headDim]) must have rank 4, got shape [1, 2, 4]',
    );
  });
  it('names bad options', () => {
    expect(() => rope(mk([1, 1, 1, 2]), { layout: 'half', offset: -1 })).toThrow('rope: offset must be an integer ≥ 0, got -1');
    expect(() => rope(mk([1, 1, 1, 2]), { layout: 'half', theta: 0 })).toThrow('rope: theta must be a finite number > 0, got 0');
    expect(() => rope(mk([1, 1, 1, 2]), { layout: 'rotate' as RopeLayout })).toThrow(
      "rope: layout must be 'interleaved' or 'half', got rotate",
    );
    expect(() => rope(mk([1, 1, 1, 2]), { layout: 'half', seqAxis: 3 as 1 })).toThrow(
      'rope: seqAxis must be 1 ([B, T, H, hd]) or 2 ([B, H, T, hd]), got 3',
    );
  });
});
