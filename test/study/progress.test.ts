// The study's first ETA comes from the cost model (src/study/progress.ts COST), sized on the
// default study's measured time, so it is right before anything has been measured.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { IfevalInput } from '../../src/eval/ifeval/evaluate.ts';
import { loadStudyConfig, WORLD_PRETRAIN } from '../../src/study/config.ts';
import { planStudy } from '../../src/study/pipeline.ts';
import { COST, pretrainUnits, StudyProgress } from '../../src/study/progress.ts';
import { worldData } from '../../src/study/worldData.ts';

it('the first ETA of the default study (both parts) is within 2x of its measured 11 min 30 s on the reference host', () => {
  const cfg = loadStudyConfig('default');
  const instructions = Array.from({ length: cfg.eval.instructions }, (_, i) => ({ instruction: `q${i}`, dataset: '' }));
  const ifevalInputs = Array.from(
    { length: cfg.eval.ifeval.prompts },
    (_, i): IfevalInput => ({ key: i, prompt: `p${i}`, instruction_id_list: [], kwargs: [] }),
  );
  const world = worldData(cfg.world!);
  const plan = planStudy(cfg, mkdtempSync(join(tmpdir(), 'heed-plan-')), { instructions, ifevalInputs, world });
  expect(plan.stages.map((s) => s.name).slice(0, 3)).toEqual(['base', 'train instruction', 'train response']);
  // real: base, 7 trained arms, 12 generate, 12 judge, rank; world: base, 4 trained arms, 10 generate, rank
  expect(plan.stages).toHaveLength(1 + 7 + 12 + 12 + 1 + (1 + 4 + 10 + 1));
  const eta = new StudyProgress(
    plan.stages.map((s) => ({ name: s.name, units: s.units })),
    null,
  ).etaSec();
  const measured = 690; // 11 min 36 s of npm start from a fresh clone, of which 690 s in stages
  expect(eta).toBeGreaterThan(measured / 2);
  expect(eta).toBeLessThan(measured * 2);
  // what the old model said before anything ran (no prior: NaN, then the first measured seconds
  // extrapolated; 3h33m was seen) is replaced by units x the reference rate
  expect(eta).toBeCloseTo(plan.stages.reduce((s, x) => s + x.units, 0) * COST.secondsPerUnit, 0); // the milliseconds elapsed since construction blend in
});

it("a pretraining stage costs its tokens weighted by the recipe's matmul weights (the world base's recipe is the reference)", () => {
  const tokens = WORLD_PRETRAIN.steps * WORLD_PRETRAIN.batchSize * WORLD_PRETRAIN.model.maxSeqLen;
  expect(pretrainUnits(WORLD_PRETRAIN)).toBeCloseTo(tokens * COST.pretrainToken, 6);
  // the 3.4M-parameter recipe measured 4.0 s a step against 2.1-2.8 s: about twice the units per token
  const big = { ...WORLD_PRETRAIN, model: { ...WORLD_PRETRAIN.model, dim: 192, nHeads: 6, nKvHeads: 6, hiddenDim: 512 } };
  const ratio = pretrainUnits(big) / pretrainUnits(WORLD_PRETRAIN);
  expect(ratio).toBeGreaterThan(1.7);
  expect(ratio).toBeLessThan(2.3);
  const plan = planStudy(loadStudyConfig('world-scratch'), mkdtempSync(join(tmpdir(), 'heed-plan-')), {
    instructions: [],
    ifevalInputs: [],
    world: worldData(loadStudyConfig('world-scratch').world!),
  });
  expect(plan.stages.find((s) => s.name === 'world-base')!.units).toBeCloseTo(pretrainUnits(WORLD_PRETRAIN), 6);
});

it("a resumed stage's head start is neither this run's work nor work left: the ETA is this run's rate times what is left", () => {
  const p = new StudyProgress(
    [
      { name: 'pretrain', units: 1e6 },
      { name: 'arms', units: 1e6 },
    ],
    null,
  );
  p.begin('pretrain');
  p.update('tokenizer', 0, true); // a phase before training
  p.resumed('resumes at step 500/1000', 0.5); // resumed halfway
  const fresh = new StudyProgress(
    [
      { name: 'pretrain', units: 0.5e6 },
      { name: 'arms', units: 1e6 },
    ],
    null,
  );
  fresh.begin('pretrain');
  // the same work is left (half the pretraining and the arms), at the same prior rate
  expect(p.unitsLeft).toBeCloseTo(fresh.unitsLeft, 6);
  expect(p.etaSec()).toBeCloseTo(fresh.etaSec(), 0);
  // a fresh stage's first tick is this run's work
  p.update('step 501/1000', 0.501);
  expect(p.unitsLeft).toBeCloseTo(fresh.unitsLeft - 1e3, 6);
  p.update('step 1000/1000', 1);
  p.end('done');
  p.begin('arms');
  p.update('batch 1/4', 0.25);
  expect(p.unitsLeft).toBeCloseTo(0.75e6, 6);
});

it('copy windows beside each pretraining step add their tokens to its cost', () => {
  const withCopy = { ...WORLD_PRETRAIN, copyWindows: { docs: 20000, context: 32, batchSize: 32 } };
  const stepTokens = WORLD_PRETRAIN.batchSize * WORLD_PRETRAIN.model.maxSeqLen;
  // 32 windows of 32 input tokens (33 with the last target), as a corpus window counts its 256 inputs
  expect(pretrainUnits(withCopy) / pretrainUnits(WORLD_PRETRAIN)).toBeCloseTo((stepTokens + 32 * 32) / stepTokens, 9);
});
