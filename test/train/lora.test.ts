// LoRA: a merged model gives the logits of base + adapters; the base stays frozen; adapters
// save and load under PEFT's names; a LoRA run through the trainer moves only the adapters.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { Rng } from '../../src/core/random.ts';
import { fromArray, scopeAsync } from '../../src/core/tensor.ts';
import { IGNORE } from '../../src/data/chat.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { LoraAdapters } from '../../src/nn/lora.ts';
import { Llama } from '../../src/nn/llama.ts';
import { readCheckpointDir } from '../../src/train/checkpoint.ts';
import { train } from '../../src/train/trainer.ts';

const config: LlamaConfig = {
  dim: 16,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 32,
  vocabSize: 12,
  maxSeqLen: 32,
  ropeTheta: 10000,
  ropeLayout: 'interleaved',
  normEps: 1e-5,
  tiedEmbeddings: true,
};
const ids = () => fromArray(Int32Array.from([1, 5, 3, 7, 2, 9]), [1, 6], { dtype: 'i32', backend: cpu });
const logits = (m: Llama) => scopeAsync(async () => [...(await m.forward(ids()).data())]);

describe('LoRA', () => {
  it('merged weights give the same logits as base + adapters (and differ from the base)', async () => {
    const model = new Llama(config, cpu, { seed: 2 });
    const base = await logits(model);
    const lora = new LoraAdapters(model, { rank: 4, alpha: 8, seed: 1 });
    expect(await logits(model)).toEqual(base); // B = 0: the base function at the start
    const rng = new Rng(3);
    for (const a of lora.adapters) a.B.write(Float32Array.from({ length: a.B.size }, () => 0.2 * rng.normal()));
    const adapted = await logits(model);
    const merged = new Llama(config, cpu);
    merged.loadState(await lora.mergedWeights());
    const m = await logits(merged);
    const diff = Math.max(...adapted.map((v, i) => Math.abs(v - m[i]!)));
    expect(diff).toBeLessThan(1e-5);
    expect(Math.max(...adapted.map((v, i) => Math.abs(v - base[i]!)))).toBeGreaterThan(1e-2);
    lora.dispose();
    expect(await logits(model)).toEqual(base); // removed cleanly
  });

  it('only adapters get gradients; a LoRA run moves them and leaves the base untouched', async () => {
    const model = new Llama(config, cpu, { seed: 2 });
    const before = await model.state();
    const lora = new LoraAdapters(model, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'down_proj'] });
    expect(lora.namedParameters().size).toBe(2 * 3 * 2);
    expect([...lora.namedParameters().keys()][0]).toBe('base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight');
    const out = mkdtempSync(join(tmpdir(), 'heed-lora-'));
    try {
      const ex = Array.from({ length: 8 }, (_, k) => {
        const s = [0, 1, 2, 3, 4, 5].map((t) => (k + t) % 12);
        return { ids: s, labels: s.map((x, t) => (t === 0 ? IGNORE : x)) };
      });
      const r = await train(
        {
          model,
          trainable: lora.namedParameters(),
          train: ex,
          outDir: out,
          padId: 0,
          bosId: 1,
          eosId: 2,
          out: null,
          snapshot: async () => ({ weights: null, adapters: { tensors: await lora.exportAdapters(), config: lora.peftConfig() } }),
          exportWeights: () => lora.mergedWeights(),
        },
        {
          lr: 1e-2,
          schedule: 'constant',
          warmup: 0,
          weightDecay: 0,
          clip: 0,
          batchSize: 4,
          gradAccum: 1,
          maxSteps: 4,
          evalEvery: 0,
          saveEvery: 0,
          seed: 1,
          bucketBatches: 0,
          beta1: 0.9,
          beta2: 0.999,
          eps: 1e-8,
        },
      );
      expect(r.losses.at(-1)!).toBeLessThan(r.losses[0]!);
      for (const [n, p] of model.namedParameters()) expect([...(await p.data())]).toEqual([...before.get(n)!.data]);
      expect(readdirSync(r.checkpointDir).sort()).toEqual([
        'adapter_config.json',
        'adapter_model.safetensors',
        'generation_config.json',
        'optimizer.safetensors',
        'trainer_state.json',
      ]);
      const ck = readCheckpointDir(r.checkpointDir);
      const fresh = new Llama(config, cpu, { seed: 2 });
      const again = new LoraAdapters(fresh, { rank: 2, alpha: 4, targets: ['q_proj', 'v_proj', 'down_proj'] });
      again.loadAdapters(ck.adapters!, 'checkpoint');
      expect(await logits(fresh)).toEqual(await logits(model));
      const wrongRank = new LoraAdapters(new Llama(config, cpu), { rank: 3, alpha: 4, targets: ['q_proj', 'v_proj', 'down_proj'] });
      expect(() => wrongRank.loadAdapters(ck.adapters!, 'ck')).toThrow(
        /ck: base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight has shape \[2,16\], expected \[3,16\]/,
      );
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('refuses bad options', () => {
    const model = new Llama(config, cpu);
    expect(() => new LoraAdapters(model, { rank: 0, alpha: 1 })).toThrow(/rank must be a positive integer/);
    expect(() => new LoraAdapters(model, { rank: 2, alpha: 0 })).toThrow(/alpha must be a positive number/);
    expect(() => new LoraAdapters(model, { rank: 2, alpha: 1, targets: ['lm_head' as 'q_proj'] })).toThrow(/LoRA target "lm_head"/);
  });
});
