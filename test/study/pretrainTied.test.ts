// A pretraining recipe's `model.tiedEmbeddings` (docs/world.md, the copy lab) reaches the model:
// the base written has one matrix for the embedding and the output head, and its HF config says so.
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

const world = PRESETS.tiny!.world!;
const tinyRecipe = (world.base as { pretrain: PretrainRecipe }).pretrain;

describe('pretraining with tied embeddings', () => {
  it('writes a base whose output head is its embedding (no lm_head, tie_word_embeddings true)', async () => {
    const recipe: PretrainRecipe = { ...tinyRecipe, steps: 2, model: { ...tinyRecipe.model, tiedEmbeddings: true } };
    const dir = mkdtempSync(join(tmpdir(), 'heed-tied-'));
    const r = await pretrainBase(
      dir,
      recipe,
      cpu,
      () => {},
      () => {},
      { data: worldData(world), seed: world.seed },
    );
    const config = JSON.parse(readFileSync(join(r.modelDir, 'config.json'), 'utf8')) as Record<string, unknown>;
    expect(config.tie_word_embeddings).toBe(true);
    const names = [...readSafetensors(join(r.modelDir, 'model.safetensors')).tensors.keys()];
    expect(names).toContain('model.embed_tokens.weight');
    expect(names.some((n) => n.startsWith('lm_head'))).toBe(false);
  });

  it('the study config takes true or false only, and counts one matrix fewer when tied', () => {
    const withModel = (model: object) => ({
      ...PRESETS.tiny!,
      world: { ...world, base: { pretrain: { ...tinyRecipe, model: { ...tinyRecipe.model, ...model } } } },
    });
    expect(() => validateStudyConfig(withModel({ tiedEmbeddings: 'yes' }), 'c')).toThrow(
      /model.tiedEmbeddings must be true or false, got "yes"/,
    );
    expect(() => validateStudyConfig(withModel({ tiedEmbeddings: true }), 'c')).not.toThrow();
    const untied = modelFootprint(tinyRecipe.model, 384, 4).parameters;
    expect(untied - modelFootprint({ ...tinyRecipe.model, tiedEmbeddings: true }, 384, 4).parameters).toBe(384 * tinyRecipe.model.dim);
  });
});
