// A world recipe's `copyWindows` (docs/world.md, "Short windows"): copy lines in short windows,
// one batch a step beside the corpus's. The run logs their loss every step and records their
// position in the checkpoint (exact resume is the trainer's own test); the config refuses bad ones.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { PRESETS, type PretrainRecipe, validateStudyConfig } from '../../src/study/config.ts';
import { pretrainBase } from '../../src/study/train.ts';
import { worldData } from '../../src/study/worldData.ts';
import { readCheckpointDir } from '../../src/train/checkpoint.ts';

const world = PRESETS.tiny!.world!;
const tinyRecipe = (world.base as { pretrain: PretrainRecipe }).pretrain;

describe('pretraining with copy windows', () => {
  it('trains one batch of copy windows a step and logs their loss', async () => {
    const recipe: PretrainRecipe = { ...tinyRecipe, steps: 3, copyWindows: { docs: 20, context: 16, batchSize: 4 } };
    const dir = mkdtempSync(join(tmpdir(), 'heed-copywin-'));
    await pretrainBase(
      dir,
      recipe,
      cpu,
      () => {},
      () => {},
      { data: worldData(world), seed: world.seed },
    );
    const steps = readFileSync(join(dir, 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; auxLoss?: number })
      .filter((r) => r.kind === 'step');
    expect(steps).toHaveLength(3);
    // a fresh model's loss on copy lines is near ln(vocab), far from 0
    for (const r of steps) expect(r.auxLoss).toBeGreaterThan(1);
    expect(readCheckpointDir(join(dir, 'checkpoint')).state.auxPosition).toEqual({ epoch: expect.any(Number), batch: expect.any(Number) });
    const state = readCheckpointDir(join(dir, 'checkpoint')).state;
    expect((state.options as { aux: unknown }).aux).toEqual({ examples: expect.any(Number), batchSize: 4 });
  });

  it('the study config refuses copy windows off the world corpus, longer than the model, or with unknown keys', () => {
    const withRecipe = (extra: object) => ({
      ...PRESETS.tiny!,
      world: { ...world, base: { pretrain: { ...tinyRecipe, ...extra } } },
    });
    const ok = { docs: 100, context: 32, batchSize: 8 };
    expect(() => validateStudyConfig(withRecipe({ copyWindows: ok }), 'c')).not.toThrow();
    expect(() => validateStudyConfig(withRecipe({ copyWindows: { ...ok, context: 4096 } }), 'c')).toThrow(/copyWindows.context/);
    expect(() => validateStudyConfig(withRecipe({ copyWindows: { ...ok, context: tinyRecipe.model.maxSeqLen + 1 } }), 'c')).toThrow(
      /copyWindows.context \d+ is longer than the model's maxSeqLen/,
    );
    expect(() => validateStudyConfig(withRecipe({ copyWindows: { ...ok, lines: 3 } }), 'c')).toThrow(/lines/);
    expect(() => validateStudyConfig(withRecipe({ copyWindows: { docs: 0, context: 32, batchSize: 8 } }), 'c')).toThrow(
      /copyWindows.*docs/,
    );
  });
});
