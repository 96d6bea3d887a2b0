// The loop on the CPU backend: exact resume (2N straight == N + resume + N, bit for bit), NaN
// stop with the last good checkpoint intact, the checkpoint's HF layout, schedules, the curve.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { Rng } from '../../src/core/random.ts';
import { fromArray } from '../../src/core/tensor.ts';
import type { Example } from '../../src/data/batch.ts';
import { IGNORE } from '../../src/data/chat.ts';
import { readCheckpoint } from '../../src/load/pretrained.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { readCheckpointDir } from '../../src/train/checkpoint.ts';
import { formatDuration, formatStep, readLog } from '../../src/train/progress.ts';
import { lrAt, warmupSteps } from '../../src/train/schedule.ts';
import { lossCurveSvg, smooth } from '../../src/train/svg.ts';
import { type TrainConfig, type TrainSetup, fullModelParts, train } from '../../src/train/trainer.ts';

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
  tiedEmbeddings: false,
};
const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'heed-train-'));
  dirs.push(d);
  return d;
};
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Counting sequences (learnable) of varied length with a masked prompt. */
function examples(n: number, seed: number): Example[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 4 + rng.int(8);
    const s = rng.int(12);
    const ids = Array.from({ length: len }, (_, t) => (s + t) % 12);
    return { ids, labels: ids.map((id, t) => (t < 2 ? IGNORE : id)) };
  });
}

const cfg: TrainConfig = {
  lr: 3e-2,
  schedule: 'cosine',
  warmup: 2,
  weightDecay: 0.1,
  clip: 0.5,
  batchSize: 3,
  gradAccum: 2,
  maxSteps: 8,
  evalEvery: 4,
  saveEvery: 0,
  seed: 9,
  bucketBatches: 2,
  beta1: 0.9,
  beta2: 0.99,
  eps: 1e-8,
};

function setup(model: Llama, outDir: string, extra: Partial<TrainSetup> = {}): TrainSetup {
  return {
    model,
    ...fullModelParts(model),
    train: examples(20, 1),
    heldout: examples(6, 2),
    outDir,
    padId: 0,
    bosId: 1,
    eosId: 2,
    out: null,
    ...extra,
  };
}

async function weights(model: Llama): Promise<Map<string, number[]>> {
  return new Map([...(await model.state())].map(([k, v]) => [k, [...v.data]]));
}

describe('trainer', () => {
  it('2N steps straight == N steps + resume + N steps, bit for bit (losses and weights)', async () => {
    const a = new Llama(config, cpu, { seed: 4 });
    const ra = await train(setup(a, tmp()), cfg);
    expect(ra.steps).toBe(8);
    expect(ra.losses.at(-1)!).toBeLessThan(ra.losses[0]!); // it learns

    const outB = tmp();
    const b1 = new Llama(config, cpu, { seed: 4 });
    const rb1 = await train(setup(b1, outB, { stopAfter: 4 }), cfg);
    expect(rb1.steps).toBe(4);
    expect(rb1.modelDir).toBeNull();
    const ck = readCheckpointDir(rb1.checkpointDir);
    expect(ck.state.step).toBe(4);
    expect(ck.config!.ropeLayout).toBe('interleaved');
    const b2 = new Llama(ck.config!, cpu, { seed: 123 });
    b2.loadState(ck.weights!);
    const rb2 = await train(setup(b2, outB, { resume: ck }), cfg);
    expect([...rb1.losses, ...rb2.losses]).toEqual(ra.losses);
    expect(await weights(b2)).toEqual(await weights(a));
    // the log holds the whole history once; the curve is drawn from it
    const log = readLog(join(outB, 'log.jsonl'));
    expect(log.filter((r) => r.kind === 'step').map((r) => r.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(log.filter((r) => r.kind === 'eval').map((r) => r.step)).toEqual([0, 4, 8]);
    expect(readFileSync(join(outB, 'loss.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<polyline[\s\S]*<\/svg>\n$/);
  });

  it('refuses to resume with different options', async () => {
    const out = tmp();
    const m = new Llama(config, cpu, { seed: 4 });
    await train(setup(m, out, { stopAfter: 1 }), cfg);
    const ck = readCheckpointDir(join(out, 'checkpoint'));
    await expect(train(setup(m, out, { resume: ck }), { ...cfg, lr: 1e-3 })).rejects.toThrow(
      /--resume: the checkpoint was trained with .*"lr":0.03/,
    );
  });

  it('a second set (aux): one batch a step, exact resume, its position in the checkpoint, a different one refused', async () => {
    const aux = { examples: examples(7, 5).map((e) => ({ ids: e.ids.slice(0, 4), labels: e.ids.slice(0, 4) })), batchSize: 2 };
    const plain = await train(setup(new Llama(config, cpu, { seed: 4 }), tmp()), cfg);
    const a = new Llama(config, cpu, { seed: 4 });
    const outA = tmp();
    const ra = await train(setup(a, outA, { aux }), cfg);
    // the first set's loss is the same until an update with lr > 0 (the first has lr 0: warmup) used the aux gradient
    expect(ra.losses.slice(0, 2)).toEqual(plain.losses.slice(0, 2));
    expect(ra.losses[2]).not.toBe(plain.losses[2]);
    const steps = readLog(join(outA, 'log.jsonl')).filter((r) => r.kind === 'step');
    expect(steps.every((r) => 'auxLoss' in r && Number.isFinite(r.auxLoss))).toBe(true);
    // 7 examples in batches of 2 = 4 batches an epoch; 8 steps = 2 epochs
    expect(readCheckpointDir(join(outA, 'checkpoint')).state.auxPosition).toEqual({ epoch: 1, batch: 4 });

    const outB = tmp();
    const rb1 = await train(setup(new Llama(config, cpu, { seed: 4 }), outB, { aux, stopAfter: 3 }), cfg);
    const ck = readCheckpointDir(rb1.checkpointDir);
    expect(ck.state.auxPosition).toEqual({ epoch: 0, batch: 3 });
    const b2 = new Llama(ck.config!, cpu, { seed: 1 });
    b2.loadState(ck.weights!);
    const rb2 = await train(setup(b2, outB, { aux, resume: ck }), cfg);
    expect([...rb1.losses, ...rb2.losses]).toEqual(ra.losses);
    expect(await weights(b2)).toEqual(await weights(a));
    await expect(train(setup(b2, outB, { aux: { ...aux, batchSize: 3 }, resume: ck }), cfg)).rejects.toThrow(
      /--resume: the checkpoint was trained with .*"aux":\{"examples":7,"batchSize":2\}/,
    );
    await expect(train(setup(b2, outB, { resume: ck }), cfg)).rejects.toThrow(/--resume: the checkpoint was trained with/);
    // a second set that could make a batch with nothing labelled is refused before anything runs
    // (labels[0] is no target: the targets are labels[1..])
    for (const first of [-100, 7]) {
      const bare = {
        ...aux,
        examples: aux.examples.map((e, i) => (i === 5 ? { ids: e.ids, labels: e.ids.map((_, j) => (j === 0 ? first : -100)) } : e)),
      };
      await expect(train(setup(new Llama(config, cpu, { seed: 4 }), tmp(), { aux: bare }), cfg)).rejects.toThrow(
        /second training set \(aux\): example 5 has no labelled target token/,
      );
    }
    await expect(train(setup(new Llama(config, cpu, { seed: 4 }), tmp(), { aux: { ...aux, examples: [] } }), cfg)).rejects.toThrow(
      /second training set \(aux\) is empty/,
    );
  });

  it("the aux gradient is the gradient of the second set's mean loss, added to the first's", async () => {
    // one step, lr 0 (no update): compare the accumulated gradient with the two means' gradients
    const { accumulateGradients } = await import('../../src/train/step.ts');
    const { collate } = await import('../../src/data/batch.ts');
    const { zeroGrad } = await import('../../src/core/tensor.ts');
    const m = new Llama(config, cpu, { seed: 7 });
    const params = [...m.namedParameters().values()];
    const first = examples(3, 8);
    const second = examples(2, 9);
    const grads = async (sets: Example[][]) => {
      zeroGrad(params);
      for (const set of sets) await accumulateGradients(m, [collate(set, 0)]);
      const g = await Promise.all(params.map(async (p) => [...(await p.grad!.data())]));
      zeroGrad(params);
      return g;
    };
    const both = await grads([first, second]);
    const one = await grads([first]);
    const two = await grads([second]);
    both.forEach((g, i) => g.forEach((v, j) => expect(v).toBeCloseTo(one[i]![j]! + two[i]![j]!, 6)));
  });

  it('writes an HF directory heed (and transformers) can load, plus optimizer and trainer state', async () => {
    const out = tmp();
    const m = new Llama(config, cpu, { seed: 4 });
    const r = await train(setup(m, out), { ...cfg, maxSteps: 2, evalEvery: 0 });
    expect(readdirSync(r.checkpointDir).sort()).toEqual([
      'config.json',
      'generation_config.json',
      'model.safetensors',
      'optimizer.safetensors',
      'trainer_state.json',
    ]);
    expect(JSON.parse(readFileSync(join(r.modelDir!, 'generation_config.json'), 'utf8'))).toEqual({ bos_token_id: 1, eos_token_id: 2 });
    const back = readCheckpoint(r.modelDir!);
    expect(back.config.ropeLayout).toBe('half'); // HF's layout on disk
    const logitsOf = async (model: Llama) => [
      ...(await model.forward(fromArray(Int32Array.from([1, 2, 3, 4]), [1, 4], { dtype: 'i32', backend: cpu })).data()),
    ];
    const reloaded = new Llama(back.config, cpu);
    reloaded.loadState(back.weights);
    const [x, y] = [await logitsOf(m), await logitsOf(reloaded)];
    expect(Math.max(...x.map((v, i) => Math.abs(v - y[i]!)))).toBeLessThan(1e-5);
    // no temporary or moved-aside copy of the checkpoint is left beside it
    expect(readdirSync(out).filter((f) => f.includes('checkpoint') && f !== 'checkpoint')).toEqual([]);
  });

  it('stops on NaN naming the step; the last good checkpoint stays intact', async () => {
    const out = tmp();
    const m = new Llama(config, cpu, { seed: 4 });
    let saved: Map<string, number[]> | null = null;
    const run = train(
      setup(m, out, {
        onStep: async (s) => {
          if (s === 2) saved = await weights(m);
          if (s === 3) {
            // poison one weight after step 3's update: step 4 sees a NaN loss
            const w = m.namedParameters().get('model.norm.weight')!;
            w.write(new Float32Array(16).fill(NaN));
          }
        },
      }),
      { ...cfg, saveEvery: 2 },
    );
    await expect(run).rejects.toThrow(
      /training stopped at step 4: the loss is NaN .*the last good checkpoint \(step 2\) is intact in .*checkpoint/,
    );
    const ck = readCheckpointDir(join(out, 'checkpoint'));
    expect(ck.state.step).toBe(2);
    const back = new Llama(ck.config!, cpu);
    back.loadState(ck.weights!);
    expect(await weights(back)).toEqual(saved);
  });
});

describe('schedules', () => {
  const s = { lr: 1, warmupSteps: 2, totalSteps: 6 };
  it('linear and cosine with warmup, as transformers gives them (factor at step - 1)', () => {
    expect([1, 2, 3, 4, 5, 6].map((k) => lrAt(k, { ...s, kind: 'linear' }))).toEqual([0, 0.5, 1, 0.75, 0.5, 0.25]);
    const cos = [1, 2, 3, 4, 5, 6].map((k) => lrAt(k, { ...s, kind: 'cosine' }));
    expect(cos.slice(0, 3)).toEqual([0, 0.5, 1]);
    expect(cos[3]).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(cos[4]).toBeCloseTo(0.5, 12);
    expect(lrAt(1, { ...s, warmupSteps: 0, kind: 'linear' })).toBe(1);
    expect(lrAt(3, { ...s, kind: 'constant' })).toBe(1);
  });
  it('warmup: ratio (open-instruct int(total * ratio)) or steps; refuses the rest', () => {
    expect(warmupSteps(0.03, 100)).toBe(3);
    expect(warmupSteps(0.03, 99)).toBe(2);
    expect(warmupSteps(5, 99)).toBe(5);
    expect(() => warmupSteps(1.5, 10)).toThrow(/neither a ratio/);
    expect(() => warmupSteps(-1, 10)).toThrow(/warmup must be/);
  });
});

describe('progress and curve', () => {
  it('formats a step line and durations', () => {
    expect(
      formatStep({
        step: 7,
        totalSteps: 120,
        epoch: 0,
        loss: 2.345678,
        lr: 1e-5,
        gradNorm: 0.5,
        tokens: 10,
        tokPerSec: 1234.4,
        elapsedSec: 1,
        etaSec: 3725,
      }),
    ).toBe('step   7/120  loss 2.3457  lr 1.00e-5  |g| 0.500  1234 tok/s  ETA 1h02m');
    expect([formatDuration(5), formatDuration(65), formatDuration(NaN)]).toEqual(['5s', '1m05s', '?']);
  });
  it('draws train and held-out polylines in the plot area', () => {
    const svg = lossCurveSvg({
      train: [
        { step: 1, loss: 3 },
        { step: 2, loss: 2 },
      ],
      heldout: [
        { step: 0, loss: 3.5 },
        { step: 2, loss: 2.5 },
      ],
      title: 'a < b',
    });
    expect(svg.match(/<polyline/g)).toHaveLength(3);
    expect(svg).toContain('a &lt; b');
    expect(smooth([1, 2, 3, 4], 2)).toEqual([1, 1.5, 2.5, 3.5]);
    expect(() => lossCurveSvg({ train: [], heldout: [] })).toThrow(/no finite points/);
  });
});
