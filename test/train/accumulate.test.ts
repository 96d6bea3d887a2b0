// Gradient accumulation: 4 micro-batches of B/4 give the gradient of one batch of B (the loss is
// the mean over the labelled tokens of the whole effective batch), in f64 on the CPU backend.
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { zeroGrad } from '../../src/core/tensor.ts';
import { type Example, collate } from '../../src/data/batch.ts';
import { IGNORE } from '../../src/data/chat.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { Rng } from '../../src/core/random.ts';
import { accumulateGradients } from '../../src/train/step.ts';

const config: LlamaConfig = {
  dim: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 32,
  vocabSize: 11,
  maxSeqLen: 32,
  ropeTheta: 10000,
  ropeLayout: 'interleaved',
  normEps: 1e-5,
  tiedEmbeddings: false,
};

/** Rows of different lengths with different numbers of labelled tokens. */
function examples(n: number): Example[] {
  const rng = new Rng(5);
  return Array.from({ length: n }, (_, r) => {
    const len = 3 + rng.int(10);
    const ids = Array.from({ length: len }, () => rng.int(11));
    const prompt = 1 + rng.int(len - 2);
    return { ids, labels: ids.map((id, t) => (t < prompt || (r === 0 && t === len - 1) ? IGNORE : id)) };
  });
}

async function grads(model: Llama, micro: Example[][]): Promise<Map<string, Float64Array>> {
  zeroGrad(model.parameters());
  await accumulateGradients(
    model,
    micro.map((m) => collate(m, 0)),
  );
  const out = new Map<string, Float64Array>();
  for (const [n, p] of model.namedParameters()) out.set(n, Float64Array.from(p.grad!.dataSync()));
  return out;
}

describe('gradient accumulation', () => {
  it('4 micro-batches of B/4 == one batch of B to 1e-6 (f64, CPU); a mean of means would not be', async () => {
    const model = new Llama(config, cpu, { seed: 3, dtype: 'f64' });
    const ex = examples(8);
    const whole = await grads(model, [ex]);
    const parts = await grads(model, [ex.slice(0, 2), ex.slice(2, 4), ex.slice(4, 6), ex.slice(6, 8)]);
    let maxRel = 0;
    for (const [n, g] of whole) {
      const h = parts.get(n)!;
      for (let i = 0; i < g.length; i++) maxRel = Math.max(maxRel, Math.abs(g[i]! - h[i]!) / Math.max(1e-3, Math.abs(g[i]!)));
    }
    expect(maxRel).toBeLessThan(1e-6);
    // what averaging per-micro-batch means would give instead: clearly different
    const counts = [0, 2, 4, 6].map((s) => collate(ex.slice(s, s + 2), 0).tokens);
    expect(new Set(counts).size).toBeGreaterThan(1);
    zeroGrad(model.parameters());
    for (const s of [0, 2, 4, 6]) await accumulateGradients(model, [collate(ex.slice(s, s + 2), 0)]);
    const g0 = whole.get('lm_head.weight')!;
    const meanOfMeans = Float64Array.from(model.namedParameters().get('lm_head.weight')!.grad!.dataSync()).map((x) => x / 4);
    const diff = Math.max(...g0.map((x, i) => Math.abs(x - meanOfMeans[i]!)));
    expect(diff).toBeGreaterThan(1e-4);
    model.dispose();
  });
});
