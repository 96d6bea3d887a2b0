// heed train / heed tokenizer train end to end on the CPU backend with a tiny random model.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { run as trainCli } from '../../src/cli/train.ts';
import { run as tokenizerCli } from '../../src/cli/tokenizer.ts';
import { microConfigJson } from '../helpers/microModel.ts';
import { readCheckpoint } from '../../src/load/pretrained.ts';
import { readHFTokenizer } from '../../src/tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { readLog } from '../../src/train/progress.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = mkdtempSync(join(tmpdir(), 'heed-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
vi.spyOn(process.stderr, 'write').mockImplementation(() => true); // keep the test output quiet

const tok512 = dataPath('llama2c-stories260K', 'tok512.bin');
const configPath = join(dir, 'config.json');
writeFileSync(configPath, microConfigJson(256));
const chat = join(dir, 'chat.jsonl');
writeFileSync(
  chat,
  `${Array.from({ length: 12 }, (_, i) =>
    JSON.stringify({
      messages: [
        { role: 'user', content: `Count to ${i}` },
        { role: 'assistant', content: `One two ${i}` },
      ],
    }),
  ).join('\n')}\nnot json\n`,
);
const base = [
  '--config',
  configPath,
  '--tokenizer',
  tok512,
  '--backend',
  'cpu',
  '--seq-len',
  '48',
  '--batch-size',
  '4',
  '--grad-accum',
  '1',
  '--lr',
  '1e-2',
];

describe('heed train', () => {
  it('response tuning on a messages file: writes checkpoint, model, log and curve; resumes', async () => {
    const out = join(dir, 'rt');
    expect(await trainCli(['--mode', 'response', '--data', chat, '--out', out, '--max-steps', '3', '--heldout', '2', ...base])).toBe(0);
    for (const f of ['checkpoint/trainer_state.json', 'model/config.json', 'model/tokenizer.json', 'log.jsonl', 'loss.svg'])
      expect(existsSync(join(out, f))).toBe(true);
    const back = readCheckpoint(join(out, 'model'));
    const text = '<|user|>\n\n<|assistant|>\nOnce upon a time</s>';
    expect(back.tokenizer!.encode(text, { bos: true })).toEqual(loadLlama2cTokenizer(tok512).encode(text, { bos: true }));
    expect(readLog(join(out, 'log.jsonl')).filter((r) => r.kind === 'step')).toHaveLength(3);
    await expect(trainCli(['--mode', 'response', '--data', chat, '--out', out, '--max-steps', '3', ...base])).rejects.toThrow(
      /checkpoint exists: pass --resume/,
    );
    // resuming a finished run with more steps is refused (the schedule would differ)
    await expect(
      trainCli(['--mode', 'response', '--data', chat, '--out', out, '--max-steps', '5', '--heldout', '2', '--resume', ...base]),
    ).rejects.toThrow(/--resume: the checkpoint was trained with/);
  });
  it('pretraining on a text file and LoRA single-task runs', async () => {
    const text = join(dir, 'corpus.txt');
    writeFileSync(text, 'Once upon a time there was a little dog. '.repeat(40));
    expect(
      await trainCli(['--mode', 'pretrain', '--data', text, '--out', join(dir, 'pt'), '--max-steps', '2', '--heldout', '0', ...base]),
    ).toBe(0);
    expect(
      await trainCli([
        '--mode',
        'single-task',
        '--task',
        'chess',
        '--limit',
        '8',
        '--out',
        join(dir, 'lora'),
        '--max-steps',
        '2',
        '--heldout',
        '2',
        '--lora-rank',
        '2',
        ...base,
        '--seq-len',
        '160',
      ]),
    ).toBe(0);
    expect(existsSync(join(dir, 'lora', 'checkpoint', 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'lora', 'checkpoint', 'adapter_config.json'), 'utf8')).r).toBe(2);
    expect(existsSync(join(dir, 'lora', 'model', 'model.safetensors'))).toBe(true);
  });
  it('refuses bad flags with messages that name them', async () => {
    await expect(
      trainCli([
        '--mode',
        'single-task',
        '--task',
        'gsm',
        '--limit',
        '4',
        '--out',
        join(dir, 'g'),
        '--max-steps',
        '1',
        '--heldout',
        '0',
        ...base,
      ]),
    ).rejects.toThrow(/no training rows left: 4 of 4 lost every response token to the --seq-len 48 cut/);
    await expect(trainCli(['--out', dir])).rejects.toThrow(/--mode must be one of instruction, response, single-task, pretrain/);
    await expect(trainCli(['--mode', 'single-task', '--task', 'knit', '--out', dir, ...base])).rejects.toThrow(
      /--task gsm\|mbpp\|poetry\|recipes\|chess, got "knit"/,
    );
    await expect(
      trainCli(['--mode', 'response', '--out', join(dir, 'x'), '--lr', 'fast', ...base.filter((a) => a !== '--lr' && a !== '1e-2')]),
    ).rejects.toThrow(/--lr must be a number >= 0, got "fast"/);
    await expect(trainCli(['--mode', 'response', '--out', join(dir, 'y'), '--model', 'a', ...base])).rejects.toThrow(
      /exactly one of --model PATH or --config FILE/,
    );
    await expect(trainCli(['--mode', 'single-task', '--task', 'gsm', '--data', chat, '--out', join(dir, 'y'), ...base])).rejects.toThrow(
      /--data is not used with --mode single-task/,
    );
    await expect(trainCli(['--mode', 'response', '--lora-alpha', '4', '--out', join(dir, 'y'), ...base])).rejects.toThrow(
      /--lora-alpha needs --lora-rank/,
    );
  });
});

describe('heed tokenizer train', () => {
  it('writes a tokenizer.json that loads and round-trips', async () => {
    const text = join(dir, 't.txt');
    writeFileSync(text, 'the cat sat on the mat. the dog sat on the log.\n'.repeat(20));
    const out = join(dir, 'tokenizer.json');
    expect(await tokenizerCli(['train', '--vocab-size', '290', '--data', text, '--out', out, '--special', '<|user|>,<|assistant|>'])).toBe(
      0,
    );
    const tok = readHFTokenizer(out);
    expect(tok.vocabSize).toBeLessThanOrEqual(290);
    expect(tok.decode(tok.encode('the cat sat on the log'))).toBe('the cat sat on the log');
    expect(tok.encode('<|user|>')).toEqual([tok.pieceToId('<|user|>')]);
    await expect(tokenizerCli(['train', '--vocab-size', '290', '--data', text, '--out', out])).rejects.toThrow(/exists; pass --force/);
    await expect(tokenizerCli(['train', '--vocab-size', '100', '--out', out])).rejects.toThrow(
      /--vocab-size must be a whole number >= 260/,
    );
  });
});
