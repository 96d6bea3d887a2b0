// Study configs: presets are valid and JSON round-trips; bad configs are refused naming each field.
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  armsOf,
  loadStudyConfig,
  PRESETS,
  PRETRAIN_CPU,
  trainingLength,
  validateStudyConfig,
  WORLD_PRETRAIN,
} from '../../src/study/config.ts';
import { missingBaseMessage, resolveBase } from '../../src/study/pipeline.ts';
import { ARM_NAMES, ARMS, armOf, armStageDir } from '../../src/study/arms.ts';

describe('study configs', () => {
  it('presets validate, survive JSON, and load from a file', () => {
    for (const [name, cfg] of Object.entries(PRESETS)) {
      expect(validateStudyConfig(JSON.parse(JSON.stringify(cfg)), name)).toEqual(cfg);
      const file = join(mkdtempSync(join(tmpdir(), 'heed-cfg-')), `${name}.json`);
      writeFileSync(file, JSON.stringify(cfg));
      expect(loadStudyConfig(file)).toEqual(cfg);
    }
    expect(PRESETS.default!.base).toEqual({ model: 'models/heed-base' });
    expect('pretrain' in PRESETS.tiny!.base).toBe(true);
  });

  it('refuses bad fields, listing every problem', () => {
    const bad = structuredClone(PRESETS.tiny!) as unknown as {
      backend: string;
      finetune: { lr: number };
      eval: { ifeval: { subset: string }; extra?: number };
      arms?: string[];
    };
    bad.backend = 'tpu';
    bad.finetune.lr = -1;
    bad.eval.ifeval.subset = 'some';
    bad.eval.extra = 1;
    bad.arms = ['base', 'nonsense'];
    let msg = '';
    try {
      validateStudyConfig(bad, 'my.json');
    } catch (e) {
      msg = (e as Error).message;
    }
    expect(msg).toMatch(/^my\.json: invalid study config/);
    for (const part of [
      'config.backend',
      'config.finetune.lr',
      'config.eval.ifeval.subset',
      'config.eval.extra is not a known field',
      'unknown arm "nonsense"',
    ])
      expect(msg).toContain(part);
    expect(() => validateStudyConfig({ ...PRESETS.tiny!, base: { model: 'x', pretrain: {} } }, 'c')).toThrow(/exactly one of "model"/);
    expect(() => validateStudyConfig({ ...PRESETS.tiny!, name: 'a/b' }, 'c')).toThrow(/config.name/);
    const recipe = (tokenizer: object) => ({ ...PRESETS.tiny!, base: { pretrain: { ...PRETRAIN_CPU, tokenizer } } });
    expect(() => validateStudyConfig(recipe({ vocabSize: 4096, docs: 10, chatTagsSpecial: 'yes' }), 'c')).toThrow(
      /chatTagsSpecial must be true or false, got "yes"/,
    );
    expect(() => validateStudyConfig(recipe({ vocabSize: 4096, docs: 10, special: ['<|user|>'] }), 'c')).toThrow(
      /config.base.pretrain.tokenizer.special is not a known field/,
    );
    const base = validateStudyConfig(recipe({ vocabSize: 4096, docs: 10, chatTagsSpecial: true }), 'c').base;
    expect('pretrain' in base && base.pretrain.tokenizer.chatTagsSpecial).toBe(true);
    expect(() => validateStudyConfig({ ...PRESETS.tiny!, finetune: { ...PRESETS.tiny!.finetune, longRows: 'cut' } }, 'c')).toThrow(
      /config.finetune.longRows must be "truncate" or "drop", got "cut"/,
    );
    expect(() => loadStudyConfig('no-such-preset')).toThrow(
      /not a preset \(tiny, default, full, scratch, full-scratch, world, world-scratch\)/,
    );
    const notJson = join(mkdtempSync(join(tmpdir(), 'heed-cfg-')), 'x.json');
    writeFileSync(notJson, '{');
    expect(() => loadStudyConfig(notJson)).toThrow(/x.json: the study config is not valid JSON/);
  });

  it('arms: the instruction arm is always run, order follows ARM_NAMES; rules per arm', () => {
    expect(armsOf({ ...PRESETS.tiny!, arms: ['response', 'base'] })).toEqual(['base', 'instruction', 'response']);
    expect(armsOf({ ...PRESETS.tiny!, arms: ['response', 'world:base'] })).toEqual([
      'instruction',
      'response',
      'world:base',
      'world:instruction',
    ]);
    expect(armsOf({ ...PRESETS.tiny!, parts: ['real'], arms: ['response', 'base'] })).toEqual(['base', 'instruction', 'response']);
    expect(armsOf({ ...PRESETS.tiny!, parts: ['world'] }).every((a) => a.startsWith('world:'))).toBe(true);
    expect(armsOf(PRESETS.tiny!)).toEqual([...ARM_NAMES]);
    expect(ARM_NAMES.length).toBe(22);
    expect(armOf('base+rules').rules).toEqual(['eos', 'diversity', 'uniform']);
    expect(armOf('base+rules-no-eos').rules).toEqual(['diversity', 'uniform']);
    expect(armOf('base').rules).toBeUndefined();
    expect(ARMS.filter((a) => a.training).map((a) => a.name)).toEqual([
      'instruction',
      'response',
      'single-task:gsm',
      'single-task:mbpp',
      'single-task:poetry',
      'single-task:recipes',
      'single-task:chess',
      'world:instruction',
      'world:response',
      'world:single-task:fact',
      'world:single-task:about',
    ]);
    expect(armOf('world:base+rules-no-uniform').rules).toEqual(['eos', 'diversity']);
    expect(armOf('world:base-in-wrapper')).toEqual({ name: 'world:base-in-wrapper', world: true, prompt: 'wrapper' });
    expect(armStageDir('/o', 'single-task:gsm', 'judge')).toBe('/o/arms/single-task-gsm/judge');
    expect(() => armOf('nope')).toThrow(/unknown arm "nope"/);
  });

  it('world: the recipe is pretrain-mix or world, a world base never pretrains on pretrain-mix; bad world fields are refused', () => {
    const tiny = PRESETS.tiny!;
    const w = tiny.world!;
    expect(() => validateStudyConfig({ ...tiny, world: { ...w, base: { pretrain: { ...PRETRAIN_CPU } } } }, 'c')).toThrow(
      /config.world.base.pretrain.corpus must be "world"/,
    );
    expect(() => validateStudyConfig({ ...tiny, base: { pretrain: { ...PRETRAIN_CPU, tokens: 5 } } }, 'c')).toThrow(
      /config.base.pretrain.tokens sizes the world corpus only/,
    );
    // a world recipe's corpus mix: checked as heed data world checks --mix, and for the world corpus only
    const wp = w.base as { pretrain: typeof WORLD_PRETRAIN };
    const withMix = (mix: unknown) => ({ ...tiny, world: { ...w, base: { pretrain: { ...wp.pretrain, mix } } } });
    expect(() => validateStudyConfig(withMix({ story: 0.05, pair: 0.45 }), 'c')).not.toThrow();
    expect(() => validateStudyConfig(withMix({ story: 0.05 }), 'c')).toThrow(
      /config.world.base.pretrain.mix: corpus mix: the shares must sum to 1, they sum to 0.9000/,
    );
    expect(() => validateStudyConfig(withMix({ poems: 0 }), 'c')).toThrow(/pretrain.mix: corpus mix: unknown kind "poems"/);
    expect(() => validateStudyConfig(withMix([0.5]), 'c')).toThrow(/pretrain.mix must be an object of shares by kind, got \[0.5\]/);
    expect(() => validateStudyConfig({ ...tiny, base: { pretrain: { ...PRETRAIN_CPU, mix: { story: 1 } } } }, 'c')).toThrow(
      /config.base.pretrain.mix mixes the world corpus only/,
    );
    expect(() => validateStudyConfig({ ...tiny, base: { pretrain: { ...PRETRAIN_CPU, corpus: 'books' } } }, 'c')).toThrow(
      /corpus must be "pretrain-mix" or "world", got "books"/,
    );
    expect(() => validateStudyConfig({ ...tiny, world: { ...w, sampled: { temperature: 0, seeds: [1, 1] } } }, 'c')).toThrow(
      /sampled.temperature must be a number > 0[\s\S]*seeds must be a list of distinct/,
    );
    expect(() => validateStudyConfig({ ...tiny, world: { ...w, stories: 'sorted' as 'planned' } }, 'c')).toThrow(
      /config.world.stories must be one of "shuffled", "planned", got "sorted"/,
    );
    expect(() => validateStudyConfig({ ...tiny, world: { ...w, stories: 'planned' } }, 'c')).not.toThrow();
    expect(() => validateStudyConfig({ ...tiny, world: undefined, parts: ['world'] }, 'c')).toThrow(/no "world" section/);
    expect(() => validateStudyConfig({ ...tiny, parts: ['fake'] }, 'c')).toThrow(/config.parts/);
    expect(PRESETS.default!.world!.base).toEqual({ model: 'models/world-base' });
    expect(PRESETS.world!.parts).toEqual(['world']);
    expect(PRESETS['world-scratch']!.world!.base).toEqual({ pretrain: WORLD_PRETRAIN });
  });

  it('every committed config under configs/ loads (the docs run them by path)', () => {
    const files = readdirSync('configs').filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(loadStudyConfig(join('configs', f)).name, f).toBe(f.replace(/\.json$/, ''));
  });

  it('training length reads as steps or as epochs (the full preset trains by epochs, as the paper)', () => {
    const ft = PRESETS.default!.finetune;
    expect(trainingLength(ft)).toBe(`${ft.maxSteps} steps`);
    expect(trainingLength(PRESETS.full!.finetune)).toBe('15 epochs');
    expect(trainingLength({ ...ft, maxSteps: undefined, epochs: 3 })).toBe('3 epochs');
  });

  it('a missing default base says how to make one', () => {
    const dir = resolveBase('models/definitely-not-here');
    expect(missingBaseMessage(dir)).toMatch(
      /--config scratch[\s\S]*heed tokenizer train[\s\S]*heed train --mode pretrain[\s\S]*--base DIR[\s\S]*--config tiny/,
    );
  });
});
