// The world recipe's copy-lab levers (docs/world.md) reach the run: `model.tiedEmbeddings` (the base
// written has one matrix for the embedding and the output head, and its HF config says so) and
// `copyWindows` (copy lines in short windows, one batch a step beside the corpus's: the run logs
// their loss every step and records their position in the checkpoint; exact resume is the
// trainer's own test). The config refuses bad values of both.
import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { readSafetensors } from '../../src/io/safetensors.ts';
import { PRESETS, type PretrainRecipe, modelFootprint, validateStudyConfig } from '../../src/study/config.ts';
import { pretrainBase } from '../../src/study/train.ts';
import { worldData } from '../../src/study/worldData.ts';
import { readCheckpointDir } from '../../src/train/checkpoint.ts';

const world = PRESETS.tiny!.world!;
const tinyRecipe = (world.base as { pretrain: PretrainRecipe }).pretrain;
const withRecipe = (extra: object) => ({ ...PRESETS.tiny!, world: { ...world, base: { pretrain: { ...tinyRecipe, ...extra } } } });

/** Pretrains the tiny world recipe with `recipe` into a fresh directory; returns it and the result. */
async function pretrainTiny(recipe: PretrainRecipe) {
  const dir = mkdtempSync(join(tmpdir(), 'heed-recipe-'));
  const r = await pretrainBase(
    dir,
    recipe,
    cpu,
    () => {},
    () => {},
    { data: worldData(world), seed: world.seed },
  );
  return { dir, r };
}

describe('pretraining with tied embeddings', () => {
  it('writes a base whose output head is its embedding (no lm_head, tie_word_embeddings true)', async () => {
    const recipe: PretrainRecipe = { ...tinyRecipe, steps: 2, model: { ...tinyRecipe.model, tiedEmbeddings: true } };
    const { r } = await pretrainTiny(recipe);
    const config = JSON.parse(readFileSync(join(r.modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.tie_word_embeddings).toBe(true);
    const names = [...readSafetensors(join(r.modelDir, 'model.safetensors')).tensors.keys()];
    expect(names).toContain('model.embed_tokens.weight');
    expect(names.some((n) => n.startsWith('lm_head'))).toBe(false);
  });

  it('the study config takes true or false only, and counts one matrix fewer when tied', () => {
    const withModel = (model: object) => withRecipe({ model: { ...tinyRecipe.model, ...model } });
    expect(() => validateStudyConfig(withModel({ tiedEmbeddings: 'yes' }), 'c')).toThrow(
      /model.tiedEmbeddings must be true or false, got "yes"/,
    );
    expect(() => validateStudyConfig(withModel({ tiedEmbeddings: true }), 'c')).not.toThrow();
    const untied = modelFootprint(tinyRecipe.model, 384, 4).parameters;
    expect(untied - modelFootprint({ ...tinyRecipe.model, tiedEmbeddings: true }, 384, 4).parameters).toBe(384 * tinyRecipe.model.dim);
  });
});

describe('pretraining with copy windows', () => {
  it('trains one batch of copy windows a step and logs their loss', async () => {
    const recipe: PretrainRecipe = { ...tinyRecipe, steps: 3, copyWindows: { docs: 20, context: 16, batchSize: 4 } };
    const { dir } = await pretrainTiny(recipe);
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
