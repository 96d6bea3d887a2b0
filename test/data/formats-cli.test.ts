// `heed data convert` and `heed data inspect` as the real CLI runs them; inspect's percentiles
// against hand-computed values.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeChat } from '../../src/data/chat.ts';
import { readFormat } from '../../src/data/formats/index.ts';
import { inspectDataset, spread } from '../../src/data/formats/inspect.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath, projectRoot } from '../../src/util/dataRoot.ts';

const fixture = (f: string) => new URL(`../fixtures/data/${f}`, import.meta.url).pathname;
const heed = (...args: string[]) =>
  spawnSync(process.execPath, [join(projectRoot, 'bin', 'heed.js'), ...args], { cwd: projectRoot, encoding: 'utf8' });

describe('heed data convert', () => {
  it('writes {"id","messages"} JSONL and counts skips on stderr', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-conv-'));
    const out = join(dir, 'oasst.jsonl');
    const r = heed('data', 'convert', '--from', 'oasst', '--in', fixture('oasst.jsonl'), '--out', out);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain('2 rows from');
    expect(r.stderr).toContain('skipped 4: the prompt has no (undeleted) assistant reply ×2;');
    expect(r.stderr).toContain('skipped oasst.jsonl:2: the prompt has no (undeleted) assistant reply');
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.map((l) => l.id)).toEqual(['t1', 't6']);
    expect(lines[1].messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A' },
    ]);
    expect(readdirSync(dir)).toEqual(['oasst.jsonl']); // no temp file left
  });
  it('refuses a bad --from and writes nothing when no row is usable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'heed-conv-'));
    const bad = heed('data', 'convert', '--from', 'csv', '--in', fixture('dolly.jsonl'), '--out', join(dir, 'x.jsonl'));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--from must be one of alpaca, dolly, sharegpt, oasst, prompt-completion, got "csv"');
    const none = heed('data', 'convert', '--from', 'alpaca', '--in', fixture('oasst.jsonl'), '--out', join(dir, 'y.jsonl'));
    expect(none.status).toBe(1);
    expect(none.stderr).toContain(
      'oasst.jsonl: none of its 6 rows is usable (no "instruction" text ×6; e.g. oasst.jsonl:1: no "instruction" text); expected rows in the alpaca format',
    );
    expect(existsSync(join(dir, 'y.jsonl'))).toBe(false);
  });
});

describe('heed data inspect', () => {
  it('spread: nearest-rank percentiles (hand-computed)', () => {
    // 1..10: p50 = 5th value, p90 = 9th, p99 = 10th
    expect(spread([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])).toEqual({ min: 1, p50: 5, p90: 9, p99: 10, max: 10, mean: 5.5 });
    expect(spread([7])).toEqual({ min: 7, p50: 7, p90: 7, p99: 7, max: 7, mean: 7 });
  });
  it('token lengths and truncation agree with encodeChat', () => {
    const tok = loadLlama2cTokenizer(dataPath('llama2c-stories260K', 'tok512.bin'));
    const d = readFormat('sharegpt', fixture('sharegpt.jsonl'));
    const lens = d.rows.map((r) => encodeChat(r.messages, tok).ids.length);
    const r = inspectDataset(d, { tok, seqLen: Math.min(...lens) });
    expect(r.tokens!.lengths.max).toBe(Math.max(...lens));
    expect(r.tokens!.truncated).toBe(lens.filter((n) => n > Math.min(...lens)).length);
    expect(r.tokens!.tokensCut).toBe(lens.reduce((s, n) => s + Math.max(0, n - Math.min(...lens)), 0));
    expect([...r.assistantTurns]).toEqual([
      [1, 1],
      [2, 1],
    ]);
    expect(r.withSystem).toBe(1);
  });
  it('the CLI prints counts, percentiles and truncation', () => {
    const r = heed(
      'data',
      'inspect',
      fixture('sharegpt.jsonl'),
      '--from',
      'sharegpt',
      '--tokenizer',
      dataPath('llama2c-stories260K', 'tok512.bin'),
      '--seq-len',
      '8',
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('sharegpt.jsonl: 2 rows (7 skipped)');
    expect(r.stdout).toContain('assistant turns per row: 1: 1, 2: 1; rows with a system message: 1');
    expect(r.stdout).toMatch(/tokens \(tulu template, BOS included\): min \d+/);
    expect(r.stdout).toMatch(/at --seq-len 8: 2 rows cut \(100\.0%\)/);
    expect(heed('data', 'inspect', fixture('sharegpt.jsonl'), '--seq-len', '8').stderr).toContain('--seq-len needs --tokenizer');
  });
});
