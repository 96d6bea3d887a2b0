// The tiny study end to end (CI): every stage runs, the table and report are written, a second
// run is served from the cache in seconds, an interrupted generation resumes from its partial
// model_outputs.json without redoing the rows it had, and an interrupted training from its checkpoint.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ARMS } from '../../src/study/arms.ts';

const ARM_NAMES = ARMS.filter((a) => !a.world).map((a) => a.name);
const WORLD_ARMS = ARMS.filter((a) => a.world).map((a) => a.name);
import { loadStudyConfig } from '../../src/study/config.ts';
import { runStudy } from '../../src/study/pipeline.ts';
import { writeStudyReport } from '../../src/study/report.ts';

describe('heed study --config tiny', () => {
  it('runs, reports, serves a rerun from the cache and resumes an interrupted stage', async () => {
    const out = mkdtempSync(join(tmpdir(), 'heed-study-'));
    const cfg = loadStudyConfig('tiny');
    const first = await runStudy(cfg, { out, log: null });
    expect(Object.values(first.statuses).every((s) => s === 'ran')).toBe(true);
    expect(first.arms.map((a) => a.arm)).toEqual([...ARM_NAMES]);
    const paths = writeStudyReport(first, out);
    for (const p of Object.values(paths)) expect(existsSync(p)).toBe(true);
    const md = readFileSync(paths.markdown, 'utf8');
    expect(md).toContain('config: tiny');
    expect(md).toContain('OFFLINE PROXY');
    for (const arm of ARM_NAMES) expect(md).toContain(`| ${arm} |`);
    expect(md).toContain('43.3 (paper)');
    expect(md).toMatch(/\d+ of \d+ differences are indistinguishable from noise/);
    // the world part: its section with every world arm, the calibration lines before its table, the claims
    expect(Object.keys(first.world!.gens)).toEqual(WORLD_ARMS);
    const world = md.slice(md.indexOf('## Story world'));
    expect(md.indexOf('## Story world')).toBeGreaterThan(0);
    for (const arm of WORLD_ARMS) expect(world).toContain(`| ${arm} |`);
    for (const c of ['(a)', '(b)', '(c)']) expect(world).toMatch(new RegExp(`- \\${c.slice(0, 2)}\\) .*: (MET|NOT MET) — `));
    expect(world.indexOf('### Calibration')).toBeLessThan(world.indexOf('### Results per arm'));
    expect(world.indexOf('Checks met per constraint (greedy; met / asked):')).toBeGreaterThan(world.indexOf('### Results per arm'));
    // a calibration line NOT MET (a micro base follows nothing) heads the claims with a caveat naming it
    const unmet = [...world.matchAll(/- \((a|b|c)\) [^\n]*: NOT MET — /g)].map((m) => `(${m[1]})`);
    expect(unmet.length).toBeGreaterThan(0);
    expect(world).toContain(`- read with care: calibration ${unmet.join(', ')} ${unmet.length === 1 ? 'is' : 'are'} NOT MET`);
    expect(world).toContain('ranking probe in the pretraining wrapper');
    expect(md).toContain('a proxy figure that measures no preference');
    expect(md).not.toContain("AGAINST the paper's direction.\n- single-task");
    expect(readFileSync(paths.html, 'utf8')).toContain('id="world-results"');
    expect(readFileSync(join(out, 'world-base', 'model', 'README.md'), 'utf8')).toContain("story world's corpus");
    // with no configArg the remake command names the config by its name (a preset here)
    expect(readFileSync(join(out, 'base', 'model', 'README.md'), 'utf8')).toContain('npx heed study --config tiny   #');
    const html = readFileSync(paths.html, 'utf8');
    expect(html).toContain('id="study-results"');
    expect(html).toContain('id="differences"');
    expect(readFileSync(paths.csv, 'utf8').split('\n')[1]).toMatch(/^arm,/);
    expect(existsSync(join(out, 'base', 'model', 'README.md'))).toBe(true);
    expect(readFileSync(join(out, 'base', 'model', 'README.md'), 'utf8')).toMatch(/held-out perplexity \| \d/);

    // a second run: nothing recomputed, in seconds
    const t0 = performance.now();
    const second = await runStudy(cfg, { out, log: null });
    writeStudyReport(second, out);
    expect((performance.now() - t0) / 1000).toBeLessThan(20);
    expect(Object.values(second.statuses).every((s) => s === 'cached')).toBe(true);
    expect(readFileSync(paths.markdown, 'utf8')).toBe(md);
    // the report is built from the cached results (NaN came back from JSON as null) the same way
    expect(readFileSync(paths.html, 'utf8')).toBe(html);

    // interrupt the base arm's generation after 2 rows: mark the stage unfinished, cut its files,
    // and mark the kept rows so a regeneration would show
    const gen = join(out, 'arms', 'base', 'generate');
    const stage = JSON.parse(readFileSync(join(gen, 'stage.json'), 'utf8')) as { key: string };
    writeFileSync(join(gen, 'stage.json'), JSON.stringify({ key: stage.key, done: false }));
    const rows = JSON.parse(readFileSync(join(gen, 'model_outputs.json'), 'utf8')) as { output: string }[];
    const meta = JSON.parse(readFileSync(join(gen, 'generation_meta.json'), 'utf8')) as unknown[];
    writeFileSync(join(gen, 'model_outputs.json'), JSON.stringify(rows.slice(0, 2).map((r) => ({ ...r, output: 'KEPT' }))));
    writeFileSync(join(gen, 'generation_meta.json'), JSON.stringify(meta.slice(0, 2)));
    const third = await runStudy(cfg, { out, log: null });
    expect(third.statuses['generate base']).toBe('resumed');
    expect(
      Object.entries(third.statuses)
        .filter(([, s]) => s !== 'cached')
        .map(([k]) => k),
    ).toEqual(['generate base']);
    const after = JSON.parse(readFileSync(join(gen, 'model_outputs.json'), 'utf8')) as { output: string }[];
    expect(after.length).toBe(rows.length);
    expect(after.slice(0, 2).map((r) => r.output)).toEqual(['KEPT', 'KEPT']);

    // interrupt an arm's training after its last checkpoint, before the model was exported: the
    // stage resumes from the checkpoint (no step is redone) and writes the same model
    const train = join(out, 'arms', 'response', 'train');
    const tStage = JSON.parse(readFileSync(join(train, 'stage.json'), 'utf8')) as { key: string };
    const weights = readFileSync(join(train, 'model', 'model.safetensors'));
    const logLines = readFileSync(join(train, 'log.jsonl'), 'utf8');
    writeFileSync(join(train, 'stage.json'), JSON.stringify({ key: tStage.key, done: false }));
    rmSync(join(train, 'model'), { recursive: true });
    const fourth = await runStudy(cfg, { out, log: null });
    expect(Object.entries(fourth.statuses).filter(([, s]) => s !== 'cached')).toEqual([['train response', 'resumed']]);
    expect(readFileSync(join(train, 'model', 'model.safetensors')).equals(weights)).toBe(true);
    expect(readFileSync(join(train, 'log.jsonl'), 'utf8')).toBe(logLines);
  }, 600_000);
});
