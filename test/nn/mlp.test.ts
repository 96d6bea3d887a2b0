// End-to-end autograd check: a 2-layer MLP trained with plain SGD drives a toy regression loss down.
import { beforeAll, expect, it } from 'vitest';
import { Rng, randn } from '../../src/core/random.ts';
import { type Tensor, fromArray, noGrad, scope, zeroGrad } from '../../src/core/tensor.ts';
import { add, mul, mulScalar, sub, tanh } from '../../src/ops/elementwise.ts';
import { matmul } from '../../src/ops/matmul.ts';
import { meanAll } from '../../src/ops/reduce.ts';
import { writeSlice } from '../../src/ops/shape.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

forBackends('2-layer MLP with SGD', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  it('fits y = sin(x0) + x1·x2 (loss falls by 10x)', async () => {
    const b = getB();
    const r = new Rng(11);
    const N = 64;
    const xs: number[] = [];
    const ys: number[] = [];
    for (let i = 0; i < N; i++) {
      const v = [r.next() * 4 - 2, r.next() * 2 - 1, r.next() * 2 - 1];
      xs.push(...v);
      ys.push(Math.sin(v[0]!) + v[1]! * v[2]!);
    }
    const x = fromArray(xs, [N, 3], { backend: b }).keep();
    const y = fromArray(ys, [N, 1], { backend: b }).keep();
    const params = [
      randn([3, 32], { backend: b, seed: 1, std: 0.5 }),
      fromArray(new Float32Array(32), [32], { backend: b }),
      randn([32, 1], { backend: b, seed: 2, std: 0.2 }),
      fromArray(new Float32Array(1), [1], { backend: b }),
    ].map((p) => {
      p.requiresGrad = true;
      return p.keep();
    }) as [Tensor, Tensor, Tensor, Tensor];
    const [w1, b1, w2, b2] = params;
    const lossOf = () => {
      const h = tanh(add(matmul(x, w1), b1));
      const d = sub(add(matmul(h, w2), b2), y);
      return meanAll(mul(d, d));
    };
    const first = await scope(() => lossOf()).item();
    let last = first;
    for (let step = 0; step < 300; step++) {
      const loss = scope(() => {
        const l = lossOf();
        l.backward();
        noGrad(() => {
          for (const p of params) writeSlice(p, sub(p, mulScalar(p.grad!, 0.1)), 0, 0);
        });
        return l;
      });
      if (step % 100 === 99 || step === 299) last = await loss.item();
      loss.dispose();
      zeroGrad(params);
    }
    expect(last).toBeLessThan(first / 10);
    for (const t of [...params, x, y]) t.dispose();
  });
});
