// `heed eval rank` end to end on a real checkpoint (stories260K) and a small Alpaca-format file.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { help, run } from '../../src/cli/eval-rank.ts';
import { readAlpaca } from '../../src/eval/rank.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = mkdtempSync(join(tmpdir(), 'heed-rank-'));
const data = join(dir, 'alpaca.json');
writeFileSync(
  data,
  JSON.stringify([
    { instruction: 'Name a pet.', input: '', output: 'A cat.' },
    { instruction: 'Say hi to', input: 'Tom', output: 'Hi Tom!' },
    { instruction: 'Count to three.', input: '', output: 'One, two, three.' },
    { instruction: 'Name a color.', input: '', output: 'Red.' },
  ]),
);
const model = [
  '--model',
  dataPath('llama2c-stories260K', 'stories260K.bin'),
  '--tokenizer',
  dataPath('llama2c-stories260K', 'tok512.bin'),
  '--backend',
  'cpu',
];

describe('heed eval rank', () => {
  it('reads Alpaca rows, joining a non-empty input after a blank line', () => {
    expect(readAlpaca(data)[1]).toEqual({ instruction: 'Say hi to\n\nTom', response: 'Hi Tom!' });
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify([{ instruction: 'x', output: '  ' }]));
    expect(() => readAlpaca(bad)).toThrow(/bad\.json: row 0 has an empty "output"/);
  });

  it('prints the accuracy with its standard error and writes the JSON result', async () => {
    const out = join(dir, 'rank.json');
    const lines: string[] = [];
    const log = console.log;
    const err = process.stderr.write;
    console.log = (s: string) => void lines.push(s);
    process.stderr.write = () => true;
    try {
      expect(await run([...model, '--data', data, '--n', '4', '--others', '2', '--seed', '3', '--batch-size', '5', '--out', out])).toBe(0);
    } finally {
      console.log = log;
      process.stderr.write = err;
    }
    const r = JSON.parse(readFileSync(out, 'utf8'));
    expect(r).toMatchObject({ n: 4, others: 2, seed: 3, excluded: 0, truncated: 0 });
    expect(r.perExample.length).toBe(4);
    const mean = r.perExample.reduce((a: number, e: { credit: number }) => a + e.credit, 0) / 4;
    expect(r.accuracy).toBeCloseTo(mean, 12);
    expect(lines[0]).toContain(`${(100 * r.accuracy).toFixed(1)}% ± ${(100 * r.se).toFixed(1)}%`);
  });

  it('refuses bad arguments with a clear message', async () => {
    await expect(run(['--data', data])).rejects.toThrow(/--model is required/);
    await expect(run([...model, '--data', data, '--n', '4', '--others', '4'])).rejects.toThrow(
      /4 other responses per example need at least 5 examples, got 4/,
    );
    await expect(run([...model, '--data', data, '--n', '1'])).rejects.toThrow(/--n must be a whole number >= 2/);
    expect(help).toMatch(/--others K/);
  });
});
