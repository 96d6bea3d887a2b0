// `heed train --template` and `--gsm-format` on a tiny random model (CPU backend): the options
// reach the encoder (the log names the template and the labelled-token count moves as the
// template says), bad combinations are refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as trainCli } from '../../src/cli/train.ts';
import { encodeDataset } from '../../src/data/encode.ts';
import { readFormat } from '../../src/data/formats/index.ts';
import { gsmTask } from '../../src/data/singleTask.ts';
import { resolveTemplate, withDatasetName } from '../../src/data/templates.ts';
import { microConfigJson } from '../helpers/microModel.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = mkdtempSync(join(tmpdir(), 'heed-tpl-train-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let log = '';
vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((log += String(s)), true));

const tok512 = dataPath('llama2c-stories260K', 'tok512.bin');
const configPath = join(dir, 'config.json');
writeFileSync(configPath, microConfigJson(512));
const base = [
  '--config',
  configPath,
  '--tokenizer',
  tok512,
  '--backend',
  'cpu',
  '--batch-size',
  '4',
  '--grad-accum',
  '1',
  '--max-steps',
  '1',
  '--heldout',
  '0',
];
const labelled = () => Number(/\((\d+) labelled tokens\)/.exec(log)?.[1]);

describe('heed train --template / --gsm-format', () => {
  it('single-task gsm, answer-only, dataset-name template: the log matches encodeDataset', async () => {
    log = '';
    expect(
      await trainCli([
        '--mode',
        'single-task',
        '--task',
        'gsm',
        '--gsm-format',
        'answer',
        '--template',
        'dataset-name',
        '--limit',
        '4',
        '--seq-len',
        '256',
        '--out',
        join(dir, 'gsm'),
        ...base,
      ]),
    ).toBe(0);
    expect(log).toContain('template: dataset-name');
    const tok = loadLlama2cTokenizer(tok512);
    const rows = withDatasetName(gsmTask({ gsmFormat: 'answer' }), 'gsm');
    const want = encodeDataset({ ...rows, rows: rows.rows.slice(0, 4) }, tok, { maxLen: 256, template: resolveTemplate('dataset-name') });
    expect(labelled()).toBe(want.labelledTokens);
    // "#### N" plus EOS: a handful of tokens per row, far fewer than the chain of thought
    const cot = encodeDataset({ ...rows, rows: withDatasetName(gsmTask({ limit: 4 }), 'gsm').rows }, tok, {
      maxLen: 256,
      template: resolveTemplate('dataset-name'),
    });
    expect(want.labelledTokens).toBeLessThan(cot.labelledTokens / 3);
  });
  it('the alpaca template and a user template file train on a messages file', async () => {
    const data = join(dir, 'chat.jsonl');
    writeFileSync(
      data,
      Array.from({ length: 6 }, (_, i) =>
        JSON.stringify({
          messages: [
            { role: 'user', content: `Count to ${i}` },
            { role: 'assistant', content: `One two ${i}` },
          ],
        }),
      ).join('\n'),
    );
    log = '';
    expect(
      await trainCli([
        '--mode',
        'instruction',
        '--data',
        data,
        '--template',
        'alpaca',
        '--seq-len',
        '128',
        '--out',
        join(dir, 'alp'),
        ...base,
      ]),
    ).toBe(0);
    expect(log).toContain('template: alpaca');
    log = '';
    const tpl = new URL('../fixtures/data/template-user.json', import.meta.url).pathname;
    expect(
      await trainCli(['--mode', 'instruction', '--data', data, '--template', tpl, '--seq-len', '128', '--out', join(dir, 'usr'), ...base]),
    ).toBe(0);
    expect(log).toContain('template-user.json');
  });
  it('--data-format alpaca reads Alpaca rows directly (inputs kept apart for the alpaca template)', async () => {
    log = '';
    const alpaca = dataPath('alpaca', 'alpaca_sample2000.json');
    expect(
      await trainCli([
        '--mode',
        'instruction',
        '--data',
        alpaca,
        '--data-format',
        'alpaca',
        '--template',
        'alpaca',
        '--limit',
        '6',
        '--seq-len',
        '512',
        '--out',
        join(dir, 'alpaca'),
        ...base,
      ]),
    ).toBe(0);
    expect(log).toContain('2000 rows from');
    const rows = readFormat('alpaca', alpaca);
    const want = encodeDataset({ ...rows, rows: rows.rows.slice(0, 6) }, loadLlama2cTokenizer(tok512), {
      maxLen: 512,
      template: resolveTemplate('alpaca'),
    });
    expect(labelled()).toBe(want.labelledTokens);
    await expect(trainCli(['--mode', 'instruction', '--data-format', 'alpaca', '--out', join(dir, 'x'), ...base])).rejects.toThrow(
      '--data-format needs --data with --mode instruction or response',
    );
    await expect(
      trainCli(['--mode', 'instruction', '--data', alpaca, '--data-format', 'csv', '--out', join(dir, 'x'), ...base]),
    ).rejects.toThrow('--data-format must be one of alpaca, dolly, sharegpt, oasst, prompt-completion, got "csv"');
  });
  it('refuses bad combinations', async () => {
    await expect(trainCli(['--mode', 'instruction', '--gsm-format', 'answer', '--out', join(dir, 'x'), ...base])).rejects.toThrow(
      '--gsm-format is only for --mode single-task --task gsm',
    );
    await expect(
      trainCli(['--mode', 'single-task', '--task', 'gsm', '--gsm-format', 'short', '--out', join(dir, 'x'), ...base]),
    ).rejects.toThrow('--gsm-format must be cot or answer, got "short"');
    await expect(
      trainCli(['--mode', 'instruction', '--template', 'alpaca', '--per-turn', '--out', join(dir, 'x'), ...base]),
    ).rejects.toThrow('--per-turn is only for the tulu template');
    await expect(trainCli(['--mode', 'instruction', '--template', 'nope', '--out', join(dir, 'x'), ...base])).rejects.toThrow(
      '--template nope: does not exist, and it is not a built-in template',
    );
  });
});
