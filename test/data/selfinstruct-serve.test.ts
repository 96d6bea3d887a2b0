// `heed data generate` end to end: the real CLI process against a real `heed serve` process on
// loopback (stories260K, greedy so the run is reproducible: the point is the pipeline, not the
// quality; the prompts still differ by their sampled seed tasks). The output is deduplicated
// Alpaca JSONL with provenance, every instruction below ROUGE-L 0.7 to the seeds and to each
// other, and a rerun with a larger --n resumes the same file.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { normalize, readSeedTasks } from '../../src/data/selfInstruct.ts';
import { rougeL } from '../../src/eval/rouge.ts';
import { dataPath, projectRoot } from '../../src/util/dataRoot.ts';
import { type RunningServer, startServer } from '../serve/serverProcess.ts';

const dir = 'llama2c-stories260K';
let server: RunningServer;
beforeAll(async () => {
  server = await startServer(['--model', dataPath(dir, 'stories260K.bin'), '--tokenizer', dataPath(dir, 'tok512.bin'), '--backend', 'cpu']);
});
afterAll(async () => {
  expect(await server.stop()).toBe(0);
});

function generate(out: string, n: number): { status: number | null; stderr: string } {
  const args = [
    'data',
    'generate',
    '--endpoint',
    `${server.url}/v1`,
    '--out',
    out,
    '--n',
    String(n),
    '--prompt-tasks',
    '2',
    '--demos',
    '0',
    '--max-tokens',
    '32',
    '--max-requests',
    '40',
    '--temperature',
    '0',
  ];
  const r = spawnSync(process.execPath, [join(projectRoot, 'bin', 'heed.js'), ...args], {
    cwd: projectRoot,
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: r.status, stderr: r.stderr };
}

describe('heed data generate against heed serve', () => {
  it('writes deduplicated Alpaca JSONL with provenance, then resumes to a larger --n', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'heed-si-serve-')), 'gen.jsonl');
    const first = generate(out, 1);
    expect(first.stderr).toMatch(/kept 1 new rows \(0 resumed, 1\/1 in /);
    expect(first.status).toBe(0);
    const rows1 = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows1).toHaveLength(1);

    const second = generate(out, 2);
    expect(second.stderr).toMatch(/kept 1 new rows \(1 resumed, 2\/2 in /);
    expect(second.status).toBe(0);
    const lines = readFileSync(out, 'utf8').trim().split('\n');
    const rows = lines.map((l) => JSON.parse(l));
    expect(rows).toHaveLength(2);
    expect(rows.slice(0, 1)).toEqual(rows1);

    const seeds = readSeedTasks(dataPath('alpaca', 'seed_tasks.jsonl')).map((s) => s.instruction);
    for (const [i, r] of rows.entries()) {
      expect(Object.keys(r).sort()).toEqual(['input', 'instruction', 'output', 'provenance']);
      expect(r.output.trim()).not.toBe('');
      expect(r.provenance).toMatchObject({ model: 'stories260K', mode: 'self-instruct', endpoint: `${server.url}/v1` });
      expect(r.provenance.seed_tasks).toHaveLength(2);
      for (const s of seeds) expect(rougeL(r.instruction, s).f1).toBeLessThan(0.7);
      for (const q of rows.slice(0, i)) expect(rougeL(r.instruction, q.instruction).f1).toBeLessThan(0.7);
    }
    expect(new Set(rows.map((r) => normalize(r.instruction))).size).toBe(2);
  }, 300_000);
});
