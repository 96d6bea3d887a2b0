// Values derived from a tensor's contents are cached per write version: they must never be stale.
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { randn } from '../../src/core/random.ts';
import { fromArray, noGrad } from '../../src/core/tensor.ts';
import { mulScalar } from '../../src/ops/elementwise.ts';
import { matmul } from '../../src/ops/matmul.ts';
import { adamw } from '../../src/ops/optim.ts';
import { writeSlice } from '../../src/ops/shape.ts';
import { gpu } from '../helpers/backends.ts';
import { relMax } from '../helpers/gradcheck.ts';

describe('derived values', () => {
  it('are computed once per version and recomputed after any write', () => {
    const t = fromArray([1, 2, 3], [3], { backend: cpu }).keep();
    let made = 0;
    const twice = () => t.derived('x2', () => (made++, mulScalar(t, 2)));
    expect([...twice().dataSync()]).toEqual([2, 4, 6]);
    twice();
    expect(made).toBe(1);
    t.write(Float32Array.from([5, 5, 5]));
    expect([...twice().dataSync()]).toEqual([10, 10, 10]);
    expect(made).toBe(2);
    writeSlice(t, fromArray([7], [1], { backend: cpu }), 0, 1); // launchInPlace
    expect([...twice().dataSync()]).toEqual([10, 14, 10]);
    const p = t;
    adamw(
      p,
      fromArray([1, 1, 1], [3], { backend: cpu }),
      fromArray([0, 0, 0], [3], { backend: cpu }),
      fromArray([0, 0, 0], [3], { backend: cpu }),
      { lr: 0.5, step: 1, weightDecay: 0 },
    );
    expect([...twice().dataSync()].map((x) => Math.round(x))).toEqual([9, 13, 9]);
    expect(made).toBe(4);
    const before = cpu.memory().buffers;
    t.dispose(); // frees the derived copy too
    expect(cpu.memory().buffers).toBe(before - 2);
  });
});

describe('matmul with a cached transposed weight (webgpu)', () => {
  let b: Backend;
  beforeAll(async () => {
    b = await gpu();
  });
  it('sees every new version of the weight', async () => {
    const w = randn([96, 32], { backend: b, seed: 1 }).keep();
    const x = randn([40, 32], { backend: b, seed: 2 }).keep(); // 40 rows: the cached path
    const ref = async () => {
      const [xc, wc] = [fromArray(await x.data(), x.shape, { backend: cpu }), fromArray(await w.data(), w.shape, { backend: cpu })];
      return matmul(xc, wc, { transB: true }).dataSync();
    };
    for (let round = 0; round < 3; round++) {
      const got = await noGrad(() => matmul(x, w, { transB: true })).data();
      expect(relMax(got, await ref())).toBeLessThan(1e-5);
      w.write(Float32Array.from(await randn([96, 32], { backend: cpu, seed: 10 + round }).data()));
    }
  });
});
