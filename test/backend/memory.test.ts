// GPU memory must stay flat over thousands of training-style iterations: every intermediate is
// freed by its scope, gradients are replaced, and freed buffers are recycled by the pool.
import { beforeAll, describe, expect, it } from 'vitest';
import type { WebGPUBackend } from '../../src/backend/webgpu/webgpu.ts';
import { randn } from '../../src/core/random.ts';
import { scope, zeroGrad } from '../../src/core/tensor.ts';
import { add, mul, mulScalar, silu, sub, sumTo } from '../../src/ops/elementwise.ts';
import { matmul } from '../../src/ops/matmul.ts';
import { gpu } from '../helpers/backends.ts';

let b: WebGPUBackend;
beforeAll(async () => {
  b = (await gpu()) as WebGPUBackend;
});

describe('webgpu memory', () => {
  it('2,000 forward+backward iterations keep live buffers and bytes flat', async () => {
    const w1 = randn([16, 8], { backend: b, seed: 1, std: 0.3 }).keep();
    const w2 = randn([8, 1], { backend: b, seed: 2, std: 0.3 }).keep();
    w1.requiresGrad = w2.requiresGrad = true;
    const x = randn([32, 16], { backend: b, seed: 3 }).keep();
    const y = randn([32, 1], { backend: b, seed: 4 }).keep();
    const step = () =>
      scope(() => {
        const h = silu(matmul(x, w1));
        const d = sub(matmul(h, w2), y);
        sumTo(mul(d, d), []).backward();
        // SGD update in place of the kept weights is the trainer's job; here we only replace grads
        mulScalar(add(w1.grad!, w1.grad!), 0.5);
      });
    for (let i = 0; i < 20; i++) {
      step();
      zeroGrad([w1, w2]);
      b.flush(); // end of step: submit, as a trainer does
    }
    await b.sync();
    const before = b.memory();
    const created = b.counters.buffersCreated;
    const groups = b.counters.bindGroupsCreated;
    for (let i = 0; i < 2000; i++) {
      step();
      zeroGrad([w1, w2]);
      b.flush();
    }
    await b.sync();
    const after = b.memory();
    expect(after.buffers).toBe(before.buffers);
    expect(after.bytes).toBe(before.bytes);
    // the pool serves every allocation after warm-up: no new GPU buffers at all
    expect(b.counters.buffersCreated).toBe(created);
    // replayed steps meet the same pooled buffers, so every bind group comes from the cache
    expect(b.counters.bindGroupsCreated).toBe(groups);
    expect(after.pooledBytes!).toBeLessThanOrEqual(before.pooledBytes! + (1 << 20));
    for (const t of [w1, w2, x, y]) t.dispose();
  });
});
