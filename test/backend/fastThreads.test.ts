// The fast backend's results do not depend on its thread count: each thread owns whole output
// blocks and sums every element in the same order, so 1, 2 and 3 threads give the same bytes.
// (A kernel that split a sum across threads and added the partials would fail here.) Every
// launch takes the threaded path (parallelMinWork 0), however small.
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { FastBackend } from '../../src/backend/fast/fast.ts';
import { fromArray, scopeAsync, zeroGrad } from '../../src/core/tensor.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { clipGradNorm } from '../../src/ops/optim.ts';
import { AdamWState } from '../../src/train/optimizer.ts';

const CONFIG: LlamaConfig = {
  dim: 48,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 96,
  vocabSize: 97,
  maxSeqLen: 64,
  ropeTheta: 10000,
  ropeLayout: 'half',
  normEps: 1e-5,
  tiedEmbeddings: false,
};

/** Losses, then every parameter's bytes, after two training steps (clip 1, AdamW) and a
 *  last-position decode forward. */
async function run(b: Backend): Promise<{ losses: number[]; params: Uint8Array[]; logits: Uint8Array }> {
  const model = new Llama(CONFIG, b, { seed: 3 });
  const B = 3;
  const T = 40;
  const ids = (off: number) =>
    fromArray(
      Int32Array.from({ length: B * T }, (_, i) => (i * 31 + off) % CONFIG.vocabSize),
      [B, T],
      { dtype: 'i32', backend: b },
    ).keep();
  const x = ids(5);
  const y = ids(6);
  const params = model.parameters();
  const opt = new AdamWState([...model.namedParameters().keys()], params, { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 });
  const losses: number[] = [];
  for (let step = 1; step <= 2; step++) {
    await scopeAsync(async () => {
      const loss = model.loss(x, y);
      losses.push((await loss.data())[0]!);
      loss.backward();
      clipGradNorm(
        params.map((p) => p.grad),
        1,
      ).dispose();
      opt.update(1e-2, step);
    });
    zeroGrad(params);
  }
  const bytes = async (t: { data(): Promise<ArrayLike<number> & { buffer: ArrayBufferLike; byteOffset: number; byteLength: number }> }) => {
    const d = await t.data();
    return new Uint8Array(d.buffer.slice(d.byteOffset, d.byteOffset + d.byteLength));
  };
  const out = { losses, params: await Promise.all(params.map(bytes)), logits: await bytes(model.forward(x)) };
  opt.dispose();
  model.dispose();
  return out;
}

describe('fast backend: the same bytes on any number of threads', () => {
  const backends = [1, 2, 3].map((threads) => new FastBackend({ threads, parallelMinWork: 0 }));
  afterAll(async () => {
    for (const b of backends) await b.close();
  });
  it('two training steps and a forward pass on 1, 2 and 3 threads', async () => {
    const [one, ...more] = await Promise.all(backends.map((b) => run(b)));
    expect(one!.losses.every(Number.isFinite)).toBe(true);
    for (const r of more) {
      expect(r.losses).toEqual(one!.losses);
      expect(r.logits).toEqual(one!.logits);
      r.params.forEach((p, i) => expect(p, `parameter ${i}`).toEqual(one!.params[i]));
    }
  });
});
