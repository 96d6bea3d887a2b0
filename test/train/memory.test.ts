// Memory stays flat over a training run on WebGPU: live buffers and bytes (and the pool) are the
// same after step 5 as after step 30, through the trainer's whole step (accumulation, clipping,
// AdamW, held-out evaluation).
import { beforeAll, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IGNORE } from '../../src/data/chat.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { fullModelParts, train } from '../../src/train/trainer.ts';
import { gpu } from '../helpers/backends.ts';

const config: LlamaConfig = {
  dim: 32,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 64,
  vocabSize: 20,
  maxSeqLen: 32,
  ropeTheta: 10000,
  ropeLayout: 'interleaved',
  normEps: 1e-5,
  tiedEmbeddings: true,
};

let g: Backend;
beforeAll(async () => {
  g = await gpu();
});

it('live buffers and bytes are unchanged from step 5 to step 30 (webgpu)', async () => {
  const model = new Llama(config, g, { seed: 1 });
  // equal lengths (as packed pretraining) with a masked prompt of varying length
  const ex = Array.from({ length: 24 }, (_, k) => {
    const ids = Array.from({ length: 17 }, (_, t) => (k + t) % 20);
    return { ids, labels: ids.map((x, t) => (t < 1 + (k % 5) ? IGNORE : x)) };
  });
  const out = mkdtempSync(join(tmpdir(), 'heed-mem-'));
  const seen = new Map<number, ReturnType<Backend['memory']>>();
  try {
    const r = await train(
      {
        model,
        ...fullModelParts(model),
        train: ex,
        heldout: ex.slice(0, 4),
        outDir: out,
        padId: 0,
        bosId: 1,
        eosId: 2,
        out: null,
        onStep: async (s) => {
          if (s === 5 || s === 30) {
            await g.sync();
            seen.set(s, g.memory());
          }
        },
      },
      {
        lr: 1e-3,
        schedule: 'linear',
        warmup: 0.1,
        weightDecay: 0.01,
        clip: 1,
        batchSize: 4,
        gradAccum: 2,
        maxSteps: 30,
        evalEvery: 10,
        saveEvery: 0,
        seed: 3,
        bucketBatches: 0,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
      },
    );
    expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]!);
    const a = seen.get(5)!;
    const b = seen.get(30)!;
    expect(b.buffers).toBe(a.buffers);
    expect(b.bytes).toBe(a.bytes);
    expect(b.pooledBuffers).toBe(a.pooledBuffers);
  } finally {
    model.dispose();
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);

it('the trainer on webgpu follows the cpu reference (6 steps with accumulation and clipping)', async () => {
  const ex = Array.from({ length: 16 }, (_, k) => {
    const ids = Array.from({ length: 6 + (k % 7) }, (_, t) => (k + 2 * t) % 20);
    return { ids, labels: ids.map((x, t) => (t < 2 ? IGNORE : x)) };
  });
  const run = async (b: Backend) => {
    const model = new Llama(config, b, { seed: 1 });
    const out = mkdtempSync(join(tmpdir(), 'heed-follow-'));
    try {
      return (
        await train(
          { model, ...fullModelParts(model), train: ex, outDir: out, padId: 0, bosId: 1, eosId: 2, out: null },
          {
            lr: 3e-3,
            schedule: 'cosine',
            warmup: 2,
            weightDecay: 0.01,
            clip: 0.5,
            batchSize: 3,
            gradAccum: 2,
            maxSteps: 6,
            evalEvery: 0,
            saveEvery: 0,
            seed: 3,
            bucketBatches: 2,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
          },
        )
      ).losses;
    } finally {
      model.dispose();
      rmSync(out, { recursive: true, force: true });
    }
  };
  const ref = await run(cpu);
  const got = await run(g);
  for (let i = 0; i < ref.length; i++) expect(Math.abs(got[i]! - ref[i]!)).toBeLessThan(1e-3 * Math.max(1, ref[i]!));
}, 120_000);
