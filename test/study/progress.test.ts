// The study's first ETA comes from the cost model (src/study/progress.ts COST), sized on the
// default study's measured time, so it is right before anything has been measured.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { IfevalInput } from '../../src/eval/ifeval/evaluate.ts';
import { loadStudyConfig } from '../../src/study/config.ts';
import { planStudy } from '../../src/study/pipeline.ts';
import { COST, StudyProgress } from '../../src/study/progress.ts';

it('the first ETA of the default study is within 2x of its measured 10 min 50 s on the reference host', () => {
  const cfg = loadStudyConfig('default');
  const instructions = Array.from({ length: cfg.eval.instructions }, (_, i) => ({ instruction: `q${i}`, dataset: '' }));
  const ifevalInputs = Array.from(
    { length: cfg.eval.ifeval.prompts },
    (_, i): IfevalInput => ({ key: i, prompt: `p${i}`, instruction_id_list: [], kwargs: [] }),
  );
  const plan = planStudy(cfg, mkdtempSync(join(tmpdir(), 'heed-plan-')), { instructions, ifevalInputs });
  expect(plan.stages.map((s) => s.name).slice(0, 3)).toEqual(['base', 'train instruction', 'train response']);
  expect(plan.stages).toHaveLength(1 + 7 + 12 + 12 + 1);
  const eta = new StudyProgress(
    plan.stages.map((s) => ({ name: s.name, units: s.units })),
    null,
  ).etaSec();
  const measured = 650;
  expect(eta).toBeGreaterThan(measured / 2);
  expect(eta).toBeLessThan(measured * 2);
  // what the old model said before anything ran (no prior: NaN, then the first measured seconds
  // extrapolated; 3h33m was seen) is replaced by units x the reference rate
  expect(eta).toBeCloseTo(plan.stages.reduce((s, x) => s + x.units, 0) * COST.secondsPerUnit, 0); // the milliseconds elapsed since construction blend in
});
