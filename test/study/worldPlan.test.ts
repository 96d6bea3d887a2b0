// The world part in the plan: tiny plans every world stage; the default study, while
// models/world-base is missing, skips the world part with one line saying how to make it (and
// plans the real-data stages exactly as without a world section); --config world refuses to start.
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ARMS } from '../../src/study/arms.ts';
import { PRESETS } from '../../src/study/config.ts';
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

  it.runIf(!existsSync(resolveBase('models/world-base')) && existsSync(resolveBase('models/heed-base')))(
    'default skips the world part with one line while models/world-base is missing; world refuses',
    () => {
      const plan = planStudy(PRESETS.default!, '/o', inputsOf(PRESETS.default!));
      expect(plan.worldArms).toEqual([]);
      expect(plan.worldSkipped).toMatch(
        /world base .*models\/world-base does not exist yet; to make it: npx heed study --config world-scratch/,
      );
      expect(plan.worldSkipped).not.toContain('\n');
      expect(plan.stages.some((s) => s.name.includes('world'))).toBe(false);
      expect(() => planStudy(PRESETS.world!, '/o', inputsOf(PRESETS.world!))).toThrow(/world-base does not exist yet/);
    },
  );
});
