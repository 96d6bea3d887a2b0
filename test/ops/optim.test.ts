import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, noGrad, zeroGrad, zeros } from '../../src/core/tensor.ts';
import { mul, sub, sumTo } from '../../src/ops/elementwise.ts';
import { type AdamWOptions, adamw, clipGradNorm, gradNorm } from '../../src/ops/optim.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { arbData, relMax } from '../helpers/gradcheck.ts';

/** PyTorch's AdamW written out for one scalar, step by step as torch.optim.AdamW does it. */
function torchAdamW(p: number, gs: number[], o: Required<Omit<AdamWOptions, 'step'>>): number {
  let m = 0;
  let v = 0;
  gs.forEach((g, k) => {
    const t = k + 1;
    p -= o.lr * o.weightDecay * p;
    m = o.beta1 * m + (1 - o.beta1) * g;
    v = o.beta2 * v + (1 - o.beta2) * g * g;
    const mhat = m / (1 - o.beta1 ** t);
    const vhat = v / (1 - o.beta2 ** t);
    p -= (o.lr * mhat) / (Math.sqrt(vhat) + o.eps);
  });
  return p;
}

const hyper = { lr: 0.01, beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1 };

/** Runs `steps` AdamW steps on `b` with the given per-step gradients; returns p, m, v. */
async function runAdam(b: Backend, p0: number[], grads: number[][], o = hyper): Promise<number[][]> {
  const p = fromArray(p0, [p0.length], { backend: b });
  const m = zeros([p0.length], { backend: b });
  const v = zeros([p0.length], { backend: b });
  for (const [k, gs] of grads.entries()) {
    const g = fromArray(gs, [gs.length], { backend: b });
    adamw(p, g, m, v, { ...o, step: k + 1 });
    g.dispose();
  }
  const out = [[...(await p.data())], [...(await m.data())], [...(await v.data())]];
  for (const t of [p, m, v]) t.dispose();
  return out;
}

describe('adamw', () => {
  it('matches a hand-computed first step', () => {
    // step 1: m̂ = g, v̂ = g², so the update is lr·g/(|g| + eps) ≈ lr·sign(g)
    const p = fromArray([1, -2], [2], { dtype: 'f64', backend: cpu });
    const g = fromArray([0.5, 0.1], [2], { dtype: 'f64', backend: cpu });
    const m = zeros([2], { dtype: 'f64', backend: cpu });
    const v = zeros([2], { dtype: 'f64', backend: cpu });
    adamw(p, g, m, v, { lr: 0.1, weightDecay: 0.01, eps: 1e-8, step: 1 });
    const got = p.dataSync();
    expect(got[0]).toBeCloseTo(1 * 0.999 - 0.1 * (0.5 / (0.5 + 1e-8)), 12); // 0.899
    expect(got[1]).toBeCloseTo(-2 * 0.999 - 0.1 * (0.1 / (0.1 + 1e-8)), 12); // -2.098
    expect([...m.dataSync()].map((x) => +x.toFixed(12))).toEqual([0.05, 0.01]);
    expect([...v.dataSync()].map((x) => +x.toFixed(12))).toEqual([0.00025, 0.00001]);
  });

  it('equals the PyTorch formula over several steps (f64)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((n) => fc.tuple(arbData(n), fc.array(arbData(n), { minLength: 1, maxLength: 6 }))),
        ([p0, grads]) => {
          const p = fromArray(p0, [p0.length], { dtype: 'f64', backend: cpu });
          const m = zeros([p0.length], { dtype: 'f64', backend: cpu });
          const v = zeros([p0.length], { dtype: 'f64', backend: cpu });
          grads.forEach((gs, k) => adamw(p, fromArray(gs, [gs.length], { dtype: 'f64', backend: cpu }), m, v, { ...hyper, step: k + 1 }));
          const want = p0.map((x, i) =>
            torchAdamW(
              x,
              grads.map((gs) => gs[i]!),
              hyper,
            ),
          );
          expect(relMax(want, p.dataSync())).toBeLessThan(1e-12);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('skips a parameter whose gradient is null (no decay either), updates lists', () => {
    const a = fromArray([1, 2], [2], { backend: cpu });
    const b = fromArray([3], [1], { backend: cpu });
    const st = () => [zeros([2], { backend: cpu }), zeros([1], { backend: cpu })];
    adamw([a, b], [fromArray([1, 1], [2], { backend: cpu }), null], st(), st(), { lr: 0.5, weightDecay: 0.5, step: 1 });
    expect([...b.dataSync()]).toEqual([3]);
    expect(a.dataSync()[0]).toBeCloseTo(1 * 0.75 - 0.5, 6);
  });

  it('minimises a quadratic with autograd gradients', () => {
    const c = fromArray([3, -1, 0.5, 2], [4], { dtype: 'f64', backend: cpu });
    const w = fromArray([1, 4, 0.5, 2], [4], { dtype: 'f64', backend: cpu });
    const p = fromArray([0, 0, 0, 0], [4], { dtype: 'f64', backend: cpu, requiresGrad: true });
    const m = zeros([4], { dtype: 'f64', backend: cpu });
    const v = zeros([4], { dtype: 'f64', backend: cpu });
    const loss = () => {
      const d = sub(p, c);
      return sumTo(mul(w, mul(d, d)), [1]);
    };
    const first = loss().dataSync()[0]!;
    for (let step = 1; step <= 400; step++) {
      loss().backward();
      noGrad(() => adamw(p, p.grad, m, v, { lr: 0.05, weightDecay: 0, step }));
      zeroGrad([p]);
    }
    expect(first).toBeGreaterThan(10);
    expect(loss().dataSync()[0]).toBeLessThan(1e-4);
    expect(relMax([3, -1, 0.5, 2], p.dataSync())).toBeLessThan(1e-2);
  });

  it('errors', () => {
    const t = (n: number) => zeros([n], { backend: cpu });
    expect(() => adamw(t(2), t(3), t(2), t(2), { lr: 0.1, step: 1 })).toThrow('adamw: param #0 has shape [2] but its grad has shape [3]');
    expect(() => adamw(t(2), t(2), t(2), t(2), { lr: 0.1, step: 0 })).toThrow('adamw: step must be an integer >= 1, got 0');
    expect(() => adamw([t(2)], [t(2), t(2)], [t(2)], [t(2)], { lr: 0.1, step: 1 })).toThrow(/got 1 params, 2 grads/);
    expect(() => adamw(t(2), t(2), t(2), t(2), { lr: 0.1, beta2: 1, step: 1 })).toThrow(/beta2 must be in \[0, 1\)/);
    const i = zeros([2], { backend: cpu, dtype: 'i32' });
    expect(() => adamw(t(2), i, t(2), t(2), { lr: 0.1, step: 1 })).toThrow(/adamw: expected a float tensor, got i32/);
  });
});

describe('gradient norm and clipping', () => {
  it('norm over several tensors; clip scales only above maxNorm', () => {
    const a = fromArray([3, 0], [2], { dtype: 'f64', backend: cpu });
    const b = fromArray([4], [1], { dtype: 'f64', backend: cpu });
    expect(gradNorm([a, null, b]).dataSync()[0]).toBe(5);
    const n = clipGradNorm([a, b], 1);
    expect(n.dataSync()[0]).toBe(5);
    expect(a.dataSync()[0]).toBeCloseTo(0.6, 6);
    expect(b.dataSync()[0]).toBeCloseTo(0.8, 6);
    clipGradNorm([a, b], 2); // norm ~1 < 2: unchanged
    expect(a.dataSync()[0]).toBeCloseTo(0.6, 6);
  });
  it('errors', () => {
    expect(() => clipGradNorm([null], 1)).toThrow('clipGradNorm: no gradients given');
    expect(() => clipGradNorm([zeros([1], { backend: cpu })], 0)).toThrow(/maxNorm must be a finite number > 0/);
  });
});

forBackends('optim agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  // f32 everywhere; sqrt and the division differ in the last ulp or two.
  const BOUND = 1e-6;

  it('adamw over 4 steps, sizes 1, 255, 257 and 1000', async () => {
    for (const n of [1, 255, 257, 1000]) {
      const p0 = Array.from({ length: n }, (_, i) => Math.sin(i + 1));
      const grads = [0, 1, 2, 3].map((k) => Array.from({ length: n }, (_, i) => Math.cos(0.3 * i + k) * (k + 1)));
      const want = await runAdam(cpu, p0, grads);
      const got = await runAdam(getB(), p0, grads);
      for (let s = 0; s < 3; s++) expect(relMax(want[s]!, got[s]!)).toBeLessThan(BOUND);
      // and the f64 PyTorch formula, within f32 rounding
      expect(
        relMax(
          p0.map((x, i) =>
            torchAdamW(
              x,
              grads.map((g) => g[i]!),
              hyper,
            ),
          ),
          got[0]!,
        ),
      ).toBeLessThan(BOUND);
    }
  });

  it('gradNorm / clipGradNorm on tensors of 1 to 40000 elements', async () => {
    const b = getB();
    const sizes = [1, 255, 257, 40000];
    const data = sizes.map((n, k) => Array.from({ length: n }, (_, i) => Math.sin(0.7 * i + k)));
    const gs: Tensor[] = data.map((d) => fromArray(d, [d.length], { backend: b }));
    const want = Math.sqrt(data.flat().reduce((a, x) => a + x * x, 0));
    expect(Math.abs((await gradNorm(gs).item()) - want) / want).toBeLessThan(1e-5);
    const norm = clipGradNorm(gs, 10);
    expect(Math.abs((await norm.item()) - want) / want).toBeLessThan(1e-5);
    const after = Math.sqrt((await Promise.all(gs.map((g) => g.data()))).flatMap((d) => [...d]).reduce((a, x) => a + x * x, 0));
    expect(after).toBeCloseTo(10, 3);
    for (const g of gs) g.dispose();
  });
});
