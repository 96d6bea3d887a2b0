import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { helpFor } from '../../src/cli/eval.ts';
import { parseRules } from '../../src/decode/rules.ts';
import { main } from '../../src/cli/main.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const tmp = mkdtempSync(join(tmpdir(), 'heed-evalcli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

it('every eval subcommand documents every flag it parses', async () => {
  const flags: Record<string, string[]> = {
    generate: [
      '--model',
      '--tokenizer',
      '--instructions',
      '--out',
      '--name',
      '--limit',
      '--max-new-tokens',
      '--batch-size',
      '--rules',
      '--backend',
    ],
    compare: [
      '--model-outputs',
      '--reference-outputs',
      '--reference-name',
      '--judge',
      '--both-orders',
      '--out',
      '--seed',
      '--concurrency',
      '--attempts',
      '--cache',
      '--judge-tokenizer',
      '--judge-batch-size',
      '--backend',
      '--limit',
    ],
    report: ['--out'],
  };
  for (const [sub, fs] of Object.entries(flags)) {
    const h = await helpFor([sub]);
    for (const f of fs) expect(h, `${sub} ${f}`).toContain(f);
  }
  expect(await helpFor([])).toMatch(/generate[\s\S]*compare[\s\S]*report[\s\S]*ifeval[\s\S]*rank/);
});

it("--rules is validated: a comma-separated subset of the adapter's rules", () => {
  // One parser (src/decode/rules.ts) for every --rules flag: typed, unknown and repeated names refused.
  expect([...parseRules('eos,uniform')]).toEqual(['eos', 'uniform']);
  expect([...parseRules(' diversity , eos')]).toEqual(['diversity', 'eos']);
  expect(() => parseRules('eos;uniform')).toThrow(/unknown rule "eos;uniform" \(choose from eos, uniform, diversity/);
  expect([...parseRules('')]).toEqual([]);
  expect(() => parseRules('eos,eos')).toThrow(/"eos" is given twice/);
});

it('heed eval compare --judge longest writes the three files; errors name the problem', async () => {
  const log = vi.spyOn(console, 'log').mockImplementation(() => {});
  const err = vi.spyOn(console, 'error').mockImplementation(() => {});
  try {
    const out = join(tmp, 'cmp');
    const code = await main([
      'eval',
      'compare',
      '--model-outputs',
      dataPath('alpaca-eval', 'text_davinci_003_outputs.json'),
      '--judge',
      'longest',
      '--limit',
      '50',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8'));
    expect(s).toMatchObject({ n_pairs: 50, judge: 'longest', reference: 'gpt4_1106_preview' });
    expect(readFileSync(join(out, 'leaderboard.csv'), 'utf8')).toMatch(/^,win_rate,/);
    expect(await main(['eval', 'compare', '--model-outputs', 'x.json', '--judge', 'bogus', '--out', out])).toBe(1);
    expect(
      await main([
        'eval',
        'compare',
        '--model-outputs',
        dataPath('alpaca-eval', 'text_davinci_003_outputs.json'),
        '--judge',
        'bogus',
        '--out',
        out,
      ]),
    ).toBe(1);
    expect(err.mock.calls.map((c) => String(c[0]))).toEqual([
      expect.stringMatching(/model outputs x.json: does not exist/),
      expect.stringMatching(/judge "bogus": expected one of reference:REF/),
    ]);
    expect(await main(['eval', 'nope'])).toBe(1);
  } finally {
    log.mockRestore();
    err.mockRestore();
  }
});
