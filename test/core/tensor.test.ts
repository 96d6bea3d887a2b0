import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { Rng, randn } from '../../src/core/random.ts';
import { fromArray, full, noGrad, ones, scope, zeroGrad, zeros } from '../../src/core/tensor.ts';
import { add, mul, mulScalar, sumTo } from '../../src/ops/elementwise.ts';
import { gpu } from '../helpers/backends.ts';

const opts = { backend: cpu };

describe('tensor creation', () => {
  it('fromArray, zeros, ones, full', () => {
    expect([...fromArray([1, 2, 3, 4], [2, 2], opts).dataSync()]).toEqual([1, 2, 3, 4]);
    expect([...zeros([3], opts).dataSync()]).toEqual([0, 0, 0]);
    expect([...ones([2], { ...opts, dtype: 'f64' }).dataSync()]).toEqual([1, 1]);
    expect(full([2], 7, { ...opts, dtype: 'i32' }).dataSync()).toBeInstanceOf(Int32Array);
    expect(fromArray([5], [], opts).shape).toEqual([]);
  });
  it('fromArray copies: later writes to the source array do not reach the tensor', async () => {
    for (const b of [cpu, await gpu()]) {
      const src = Float32Array.from([1, 2, 3]);
      const t = fromArray(src, [3], { backend: b });
      src[0] = 99;
      expect([...(await t.data())]).toEqual([1, 2, 3]);
    }
  });
  it('errors name the problem', () => {
    expect(() => fromArray([1, 2, 3], [2, 2], opts)).toThrow(/3 values do not fill shape \[2, 2\]/);
    expect(() => zeros([2, -1], opts)).toThrow(/invalid dimension -1/);
    const t = fromArray([1, 2, 3, 4, 5, 6], [2, 3], opts);
    expect(() => t.reshape([4, 2])).toThrow(/reshape \[2, 3\] -> \[4, 2\]: 6 elements cannot become 8/);
    expect(() => t.reshape([-1, -1])).toThrow(/only one dimension may be -1/);
    expect(t.reshape([3, -1]).shape).toEqual([3, 2]);
  });
  it('seeded randn is deterministic and roughly standard normal', () => {
    const a = [...randn([4000], { ...opts, seed: 7 }).dataSync()];
    const b = randn([4000], { ...opts, seed: 7 }).dataSync();
    expect(a).toEqual([...b]);
    const mean = a.reduce((s, x) => s + x, 0) / a.length;
    const v = a.reduce((s, x) => s + (x - mean) ** 2, 0) / a.length;
    expect(Math.abs(mean)).toBeLessThan(0.06);
    expect(Math.abs(v - 1)).toBeLessThan(0.08);
    const r = new Rng(1);
    const ints = Array.from({ length: 1000 }, () => r.int(10));
    expect(Math.min(...ints)).toBe(0);
    expect(Math.max(...ints)).toBe(9);
    // peekFork: a stream of its own, the same for the same state and salt, and this one not advanced
    const p = new Rng(5);
    const f1 = p.peekFork(3);
    const f2 = p.peekFork(3);
    const draws = (g: Rng) => Array.from({ length: 8 }, () => g.nextU32());
    expect(draws(f1)).toEqual(draws(f2));
    expect(draws(p.peekFork(4))).not.toEqual(draws(p.peekFork(3)));
    expect(draws(p)).toEqual(draws(new Rng(5)));
  });
  it('the webgpu backend refuses f64 with a clear message', async () => {
    const b = await gpu();
    expect(() => zeros([2], { backend: b, dtype: 'f64' })).toThrow(/webgpu backend does not support dtype f64/);
  });
});

describe('autograd', () => {
  it('backward on a non-scalar needs a gradient argument', () => {
    const x = fromArray([1, 2], [2], { ...opts, requiresGrad: true });
    const y = mul(x, x);
    expect(() => y.backward()).toThrow(/non-scalar tensor of shape \[2\] needs a gradient argument/);
    expect(() => y.backward(ones([3], opts))).toThrow(/gradient shape \[3\] does not match tensor shape \[2\]/);
    expect(() => fromArray([1], [], opts).backward()).toThrow(/does not require grad/);
  });
  it('gradients accumulate across backward calls until zeroGrad', () => {
    const x = fromArray([1, 2, 3], [3], { ...opts, requiresGrad: true });
    const loss = () => sumTo(mul(x, x), []);
    loss().backward();
    expect([...x.grad!.dataSync()]).toEqual([2, 4, 6]);
    loss().backward();
    expect([...x.grad!.dataSync()]).toEqual([4, 8, 12]);
    zeroGrad([x]);
    expect(x.grad).toBeNull();
  });
  it('a tensor used twice gets both contributions (x*x + x)', () => {
    const x = fromArray([3], [1], { ...opts, requiresGrad: true });
    add(mul(x, x), x).backward(ones([1], opts));
    expect([...x.grad!.dataSync()]).toEqual([7]);
  });
  it('noGrad records nothing', () => {
    const x = fromArray([1, 2], [2], { ...opts, requiresGrad: true });
    const y = noGrad(() => mul(x, x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });
  it('reshape is part of the graph and shares storage', () => {
    const x = fromArray([1, 2, 3, 4], [2, 2], { ...opts, requiresGrad: true });
    const y = x.reshape([4]);
    expect(y.storage).toBe(x.storage);
    mulScalar(y, 3).backward(ones([4], opts));
    expect(x.grad!.shape).toEqual([2, 2]);
    expect([...x.grad!.dataSync()]).toEqual([3, 3, 3, 3]);
  });
});

describe('scopes and disposal', () => {
  it('disposes intermediates, keeps results and kept tensors', () => {
    const before = cpu.memory().buffers;
    const w = ones([4], opts).keep();
    const out = scope(() => {
      const a = mul(w, w);
      const b = add(a, w);
      return { b };
    });
    expect(out.b.disposed).toBe(false);
    expect(w.disposed).toBe(false);
    expect(cpu.memory().buffers).toBe(before + 2);
    out.b.dispose();
    w.dispose();
    expect(cpu.memory().buffers).toBe(before);
  });
  it('use after dispose names the tensor', () => {
    const t = zeros([2, 3], opts);
    t.dispose();
    expect(() => t.dataSync()).toThrow(/\[2, 3\] f32 was used after dispose\(\)/);
  });
  it('aliases keep storage alive until the last one is disposed', () => {
    const before = cpu.memory().buffers;
    const a = zeros([6], opts);
    const b = a.reshape([2, 3]);
    a.dispose();
    expect([...b.dataSync()]).toEqual([0, 0, 0, 0, 0, 0]);
    expect(cpu.memory().buffers).toBe(before + 1);
    b.dispose();
    expect(cpu.memory().buffers).toBe(before);
  });
  it('a training-style step leaves memory flat (cpu)', () => {
    const x = fromArray([1, 2, 3], [3], { ...opts, requiresGrad: true }).keep();
    const start = cpu.memory().buffers;
    for (let i = 0; i < 50; i++) {
      scope(() => {
        sumTo(mul(add(x, x), x), []).backward();
      });
      zeroGrad([x]);
    }
    expect(cpu.memory().buffers).toBe(start);
  });
});

describe('launch', () => {
  it('frees the outputs of a kernel that refuses to launch', async () => {
    const { launch } = await import('../../src/core/launch.ts');
    const before = cpu.memory().buffers;
    const bad = {
      name: 'bad',
      cpu: () => {
        throw new Error('bad kernel: refused');
      },
    };
    const x = zeros([3], opts);
    expect(() => launch(bad, [x], [{ shape: [3], dtype: 'f32' }], {})).toThrow(/refused/);
    x.dispose();
    expect(cpu.memory().buffers).toBe(before);
  });
});
