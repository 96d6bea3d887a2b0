// The world part in the plan: tiny plans every world stage; the default study plans it on the
// committed models/world-base and, when its world base is missing, skips the world part with one
// line saying how to make it (and plans the real-data stages exactly as without a world section);
// --config world refuses to start.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARMS } from '../../src/study/arms.ts';
import { PRESETS, type StudyConfig } from '../../src/study/config.ts';
import { cardStoryOrder } from '../../src/study/modelCard.ts';
import { planStudy, resolveBase } from '../../src/study/pipeline.ts';
import { worldData } from '../../src/study/worldData.ts';

const inputsOf = (cfg: (typeof PRESETS)[string]) => ({ instructions: [], ifevalInputs: [], world: worldData(cfg.world!) });

describe('the world part in the study plan', () => {
  it("tiny plans the world base, every tuned world arm, every world arm's answers and the ranking probe", () => {
    const cfg = PRESETS.tiny!;
    const plan = planStudy(cfg, '/o', inputsOf(cfg));
    const world = ARMS.filter((a) => a.world);
    expect(plan.worldArms.map((a) => a.name)).toEqual(world.map((a) => a.name));
    const names = plan.stages.map((s) => s.name);
    expect(names).toContain('world-base');
    expect(names).toContain('world-rank');
    for (const a of world) expect(names).toContain(`generate ${a.name}`);
    for (const a of world.filter((x) => x.training)) expect(names).toContain(`train ${a.name}`);
    expect(names.filter((n) => n.includes('world')).length).toBe(2 + world.length + world.filter((x) => x.training).length);
    // the real-data stages come first and are keyed as without a world section
    const without = planStudy({ ...cfg, world: undefined }, '/o', { instructions: [], ifevalInputs: [] });
    expect(plan.stages.slice(0, without.stages.length).map((s) => [s.name, s.key])).toEqual(without.stages.map((s) => [s.name, s.key]));
  });

  it("the story order keys every world stage when 'planned', and leaves the keys of a 'shuffled' world as they were", () => {
    const cfg = PRESETS.tiny!;
    const keys = (c: StudyConfig) =>
      planStudy(c, '/o', inputsOf(c))
        .stages.filter((s) => s.name.includes('world'))
        .map((s) => s.key);
    const plain = keys(cfg);
    expect(keys({ ...cfg, world: { ...cfg.world!, stories: 'shuffled' } })).toEqual(plain);
    const planned = keys({ ...cfg, world: { ...cfg.world!, stories: 'planned' } });
    expect(planned.every((k, i) => k !== plain[i])).toBe(true);
    // one world, told two ways: the same evaluation requests, other reference stories
    const a = worldData(cfg.world!);
    const b = worldData({ ...cfg.world!, stories: 'planned' });
    expect(b.sets.eval.map((i) => i.request)).toEqual(a.sets.eval.map((i) => i.request));
    expect(b.sets.eval.map((i) => i.reference)).not.toEqual(a.sets.eval.map((i) => i.reference));
  });

  it('a world base directory is used only with the story order it was pretrained on (its card says)', () => {
    const cfg = PRESETS.default!;
    expect(cardStoryOrder(resolveBase('models/world-base'))).toBe('shuffled');
    const planned = { ...cfg, world: { ...cfg.world!, stories: 'planned' as const } };
    expect(() => planStudy(planned, '/o', inputsOf(planned))).toThrow(
      /models\/world-base was pretrained on the shuffled world .* but config.world.stories is planned/,
    );
    const dir = mkdtempSync(join(tmpdir(), 'heed-card-'));
    writeFileSync(join(dir, 'README.md'), '# w\n| field | value |\n|---|---|\n| stories | planned: one plan |\n');
    expect(cardStoryOrder(dir)).toBe('planned');
  });

  it('default plans the world part on the committed models/world-base, after the real-data stages', () => {
    const cfg = PRESETS.default!;
    const plan = planStudy(cfg, '/o', inputsOf(cfg));
    expect(plan.worldArms.map((a) => a.name)).toEqual(ARMS.filter((a) => a.world).map((a) => a.name));
    expect(plan.worldBase?.dir).toBe(resolveBase('models/world-base'));
    expect(plan.worldSkipped).toBeUndefined();
  });

  it('with its world base missing, default skips the world part with one line (real-data stages unchanged); world refuses', () => {
    const gone = (cfg: StudyConfig): StudyConfig => ({ ...cfg, world: { ...cfg.world!, base: { model: 'models/no-such-world-base' } } });
    const def = gone(PRESETS.default!);
    const plan = planStudy(def, '/o', inputsOf(def));
    expect(plan.worldArms).toEqual([]);
    expect(plan.worldSkipped).toMatch(
      /world base .*models\/no-such-world-base does not exist yet; to make it: npx heed study --config world-scratch/,
    );
    expect(plan.worldSkipped).not.toContain('\n');
    expect(plan.stages.some((s) => s.name.includes('world'))).toBe(false);
    const real = planStudy({ ...def, world: undefined }, '/o', { instructions: [], ifevalInputs: [] });
    expect(plan.stages.map((s) => s.key)).toEqual(real.stages.map((s) => s.key));
    const w = gone(PRESETS.world!);
    expect(() => planStudy(w, '/o', inputsOf(w))).toThrow(/no-such-world-base does not exist yet/);
  });
});
