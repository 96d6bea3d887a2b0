// Issue 22, class 5: a study config is checked whole before any stage runs. Any JSON value at any
// field of a valid config is either accepted (and the study's pre-stage checks pass) or refused in
// words naming the config file and that field (or the object holding it, for rules between
// fields), quickly, with no stage directory created.
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { DATA_SIZES, loadStudyConfig, PRESETS, type StudyConfig, validateStudyConfig } from '../../src/study/config.ts';
import { prepareStudy, runStudy } from '../../src/study/pipeline.ts';

const tmp = mkdtempSync(join(tmpdir(), 'heed-cfgbounds-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** The tiny preset without its world part (building the world takes seconds; its fields are checked by validation below). */
const realOnly = (): StudyConfig => {
  const c = structuredClone(PRESETS.tiny!);
  delete c.world;
  return c;
};

type Json = unknown;
/** Every field path of a config (objects' fields and arrays as wholes), plus the optional ones. */
function fieldPaths(v: Json, prefix: string[] = []): string[][] {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return [prefix];
  return [prefix, ...Object.entries(v).flatMap(([k, x]) => fieldPaths(x, [...prefix, k]))].filter((p) => p.length > 0);
}
const OPTIONAL = [
  ['arms'],
  ['parts'],
  ['finetune', 'longRows'],
  ['finetune', 'epochs'],
  ['base', 'pretrain', 'corpus'],
  ['base', 'pretrain', 'tokenizer', 'chatTagsSpecial'],
  ['base', 'model'],
];

function setAt(cfg: Json, path: string[], value: Json): Json {
  const c = structuredClone(cfg) as Record<string, Json>;
  let o = c;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string, Json>;
  o[path[path.length - 1]!] = value;
  return c;
}

let n = 0;
/** Loads `cfg` as a file the way `heed study --config FILE` does and runs every pre-stage check. */
function tryConfig(cfg: Json): { file: string; out: string; err?: string; ms: number } {
  const file = join(tmp, `c${n}.json`);
  const out = join(tmp, `out${n++}`);
  writeFileSync(file, JSON.stringify(cfg));
  const t0 = performance.now();
  try {
    const c = loadStudyConfig(file);
    prepareStudy(c, out, `study config ${file}`);
    return { file, out, ms: performance.now() - t0 };
  } catch (e) {
    return { file, out, err: (e as Error).message, ms: performance.now() - t0 };
  }
}

/** A refusal names the file and the field, or the object holding it (a rule between its fields). */
function expectNamed(r: { file: string; err?: string }, path: string[]): void {
  const named = [path, path.slice(0, -1)].filter((p) => p.length > 0).map((p) => `config.${p.join('.')}`);
  expect(r.err).toContain(r.file);
  expect(
    named.some((p) => r.err!.includes(p)),
    `${r.err} names none of ${named.join(', ')}`,
  ).toBe(true);
  expect(r.err).not.toMatch(/Cannot read|undefined is not|is not a function|Invalid typed array|Invalid array length/);
}

describe('study config: any JSON value at any field is accepted or refused by name, before any stage', () => {
  it('real part: load + pre-stage checks (judge, model files, data sizes, plan)', () => {
    const base = realOnly();
    const paths = [...fieldPaths(base), ...OPTIONAL];
    fc.assert(
      fc.property(fc.constantFrom(...paths), fc.jsonValue({ maxDepth: 2 }), (path, value) => {
        const r = tryConfig(setAt(base, path, value));
        if (r.err !== undefined) expectNamed(r, path);
        expect(existsSync(r.out)).toBe(false);
        expect(r.ms).toBeLessThan(3000);
      }),
      { numRuns: 150, seed: 22 },
    );
  });

  it('numbers near and beyond every bound: refused by name or accepted', () => {
    const base = realOnly();
    const numeric = fieldPaths(base).filter((p) => typeof p.reduce<Json>((o, k) => (o as Record<string, Json>)[k], base) === 'number');
    const seen = { accepted: 0, refused: 0 };
    const big = fc.oneof(
      fc.integer({ min: -5, max: 5 }),
      fc.constantFrom(2 ** 30, 1e9, 1e12, 1e300, 0.5, -0, 2 ** 53),
      fc.integer({ min: 0, max: 5000 }),
    );
    fc.assert(
      fc.property(fc.constantFrom(...numeric), big, (path, value) => {
        const r = tryConfig(setAt(base, path, value));
        seen[r.err === undefined ? 'accepted' : 'refused']++;
        if (r.err !== undefined) expectNamed(r, path);
        expect(existsSync(r.out)).toBe(false);
      }),
      { numRuns: 150, seed: 5 },
    );
    // Both outcomes occur, so the property tests the accepting path (pre-stage checks on real data) too.
    expect(seen.accepted).toBeGreaterThan(10);
    expect(seen.refused).toBeGreaterThan(10);
  });

  it('world part: validation refuses by name', () => {
    const tiny = PRESETS.tiny!;
    const paths = fieldPaths(tiny.world).map((p) => ['world', ...p]);
    fc.assert(
      fc.property(
        fc.constantFrom(...paths),
        fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(1e9, 2 ** 30, 1e12)),
        (path, value) => {
          const cfg = setAt(tiny, path, value);
          try {
            validateStudyConfig(cfg, 'study config w.json');
          } catch (e) {
            expectNamed({ file: 'w.json', err: (e as Error).message }, path);
          }
        },
      ),
      { numRuns: 300, seed: 7 },
    );
  });
});

describe("study config: issue 22's cases", () => {
  const refused = (edit: (c: StudyConfig) => void, field: RegExp) => {
    const c = structuredClone(PRESETS.tiny!);
    edit(c);
    const r = tryConfig(c);
    expect(r.err).toMatch(field);
    expect(r.err).toContain(r.file);
    expect(existsSync(r.out)).toBe(false);
    expect(r.ms).toBeLessThan(3000);
  };
  const recipe = (c: StudyConfig) =>
    (c.base as { pretrain: NonNullable<Extract<StudyConfig['base'], { pretrain: unknown }>['pretrain']> }).pretrain;

  it('model arithmetic and size', () => {
    refused((c) => (recipe(c).model.nHeads = 3), /config\.base\.pretrain\.model\.nHeads \(3\) must divide model\.dim \(32\)/);
    refused((c) => (recipe(c).model.nKvHeads = 3), /config\.base\.pretrain\.model\.nKvHeads \(3\) must divide model\.nHeads \(4\)/);
    refused((c) => Object.assign(recipe(c).model, { dim: 36, nHeads: 4, nKvHeads: 4 }), /head dimension dim \/ nHeads = 9 must be even/);
    refused((c) => (recipe(c).model.dim = 2 ** 30), /config\.base\.pretrain\.model\.dim is 1073741824, above its maximum 16384 \(memory\)/);
    refused(
      (c) => Object.assign(recipe(c).model, { dim: 8192, nLayers: 64, hiddenDim: 32768 }),
      /config\.base\.pretrain\.model: .* parameters, above/,
    );
    refused(
      (c) => Object.assign(recipe(c), { batchSize: 512 }, { model: { ...recipe(c).model, maxSeqLen: 8192 } }),
      /config\.base\.pretrain\.model with batchSize 512: about .* activation values/,
    );
    refused((c) => (recipe(c).tokenizer.vocabSize = 1e9), /config\.base\.pretrain\.tokenizer\.vocabSize is 1000000000, above its maximum/);
  });

  it('resource bounds', () => {
    refused((c) => (recipe(c).steps = 1e9), /config\.base\.pretrain\.steps is 1000000000, above its maximum 1000000 \(time\)/);
    refused((c) => (c.finetune.maxSteps = 1e9), /config\.finetune\.maxSteps is 1000000000, above its maximum/);
    refused((c) => (c.eval.bootstrap.samples = 1e12), /config\.eval\.bootstrap\.samples is 1000000000000, above its maximum 1000000/);
    refused((c) => (c.eval.maxNewTokens = 1e9), /config\.eval\.maxNewTokens is 1000000000/);
    refused((c) => (c.eval.batchSize = 1e6), /config\.eval\.batchSize is 1000000/);
    refused((c) => (c.world!.tuningRows = 1e9), /config\.world\.tuningRows is 1000000000/);
    refused((c) => (c.world!.seed = 2 ** 30), /config\.world\.seed is 1073741824, above its maximum/);
    refused(
      (c) => (c.world!.rank.examples = 1000),
      /config\.world\.rank\.examples is 1000, above its maximum 8 \(the world's evaluation set has 8 items/,
    );
  });

  it("bounds against the data's real size", () => {
    refused(
      (c) => (c.finetune.limaRows = 1e9),
      new RegExp(`config\\.finetune\\.limaRows is 1000000000, above its maximum ${DATA_SIZES.limaRows} \\(LIMA has 1030 rows`),
    );
    refused((c) => (c.finetune.taskRows = 5000), /config\.finetune\.taskRows is 5000, above its maximum 1000/);
    refused((c) => (c.eval.rank.examples = 1e9), /config\.eval\.rank\.examples is 1000000000, above its maximum 2000/);
    refused((c) => (c.eval.instructions = 806), /config\.eval\.instructions is 806, above its maximum 805/);
    refused((c) => (c.eval.ifeval.prompts = 600), /config\.eval\.ifeval\.prompts is 600, above its maximum 541/);
    // Within the data's size but beyond what the prompt-length cut leaves: refused before any stage.
    refused(
      (c) => (c.eval.instructions = 800),
      /config\.eval\.instructions: only \d+ AlpacaEval instructions have at most 120 characters; 800 asked for/,
    );
    refused(
      (c) => (c.eval.ifeval.prompts = 500),
      /config\.eval\.ifeval\.prompts: only \d+ IFEval prompts of the knowledge-free subset have at most 120 characters; 500 asked for/,
    );
  });

  it('files later stages need: a missing local judge and a base that is not a model directory, before the first stage', async () => {
    refused(
      (c) => (c.eval.judge = `local:${join(tmp, 'no-such-judge')}`),
      /config\.eval\.judge "local:.*no-such-judge": the local judge model .* does not exist/,
    );
    refused(
      (c) => (c.eval.judge = `reference:${join(tmp, 'no-such-outputs.json')}`),
      /config\.eval\.judge "reference:.*no-such-outputs\.json": /,
    );
    refused(
      (c) => (c.eval.judge = `local:${tmp}`),
      /config\.eval\.judge .*has no config\.json and tokenizer\.json \(a model directory is needed\)/,
    );
    refused((c) => (c.base = { model: tmp }), /config\.base\.model: base model .*: config\.json is missing/);
    const f = join(tmp, 'plain-file');
    writeFileSync(f, 'x');
    refused((c) => (c.base = { model: f }), /config\.base\.model: base model .*plain-file: is a file, not a model directory/);
    // Through runStudy too: it refuses before writing anything into --out.
    const c = structuredClone(PRESETS.tiny!);
    c.eval.judge = 'local:/nonexistent/judge';
    const out = join(tmp, 'study-out');
    await expect(runStudy(c, { out, log: null, configLabel: 'preset tiny' })).rejects.toThrow(
      /^preset tiny: config\.eval\.judge "local:\/nonexistent\/judge": the local judge model \/nonexistent\/judge does not exist/,
    );
    expect(existsSync(out)).toBe(false);
  });

  it('presets are named as presets, files by their path; a directory as --config is refused', () => {
    expect(() => loadStudyConfig(tmp)).toThrow(/is a directory, not a study config file/);
    expect(() => loadStudyConfig('constructor')).toThrow(/not a preset .* and no such file/);
    expect(readdirSync(tmp).filter((f) => f.startsWith('out'))).toEqual([]);
  });
});
