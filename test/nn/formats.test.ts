// The golden stories260K text survives every checkpoint format heed writes: GGUF (with its
// vocabulary inside) and an HF directory (safetensors + config.json + tokenizer.json).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeGGUF } from '../../src/io/gguf.ts';
import { saveHF } from '../../src/io/hfconfig.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { toHFTokenizerJSON } from '../../src/tokenizer/hf.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = 'llama2c-stories260K';
const tmp = mkdtempSync(join(tmpdir(), 'heed-formats-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const expected = readFileSync(dataPath(dir, 'expected_greedy_t0_n200.txt'), 'utf8');
const run = (model: string) =>
  execFileSync(
    process.execPath,
    ['bin/heed.js', 'generate', '--model', model, '--temperature', '0', '--max-tokens', '200', '--backend', 'cpu'],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );

describe('heed generate from every format', () => {
  const ck = readLlama2c(dataPath(dir, 'stories260K.bin'));
  const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));

  it('GGUF with the vocabulary inside', () => {
    const path = join(tmp, 'stories260K.gguf');
    writeGGUF(path, ck.config, ck.weights, tok.vocabulary());
    expect(run(path)).toBe(expected);
  });

  it('HF directory: safetensors (rotate-half layout) + config.json + tokenizer.json', () => {
    const hf = join(tmp, 'hf');
    saveHF(hf, ck.config, ck.weights);
    writeFileSync(join(hf, 'tokenizer.json'), JSON.stringify(toHFTokenizerJSON(tok)));
    expect(run(hf)).toBe(expected);
  });
});

describe('heed convert', () => {
  const cli = (...args: string[]) =>
    execFileSync(process.execPath, ['bin/heed.js', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  it('llama2c -> gguf -> hf -> llama2c keeps every weight byte and the golden text', () => {
    const src = dataPath(dir, 'stories260K.bin');
    const gguf = join(tmp, 'cv.gguf');
    const hf = join(tmp, 'cv-hf');
    const back = join(tmp, 'cv.bin');
    cli('convert', '--model', src, '--tokenizer', dataPath(dir, 'tok512.bin'), '--to', 'gguf', '--out', gguf);
    cli('convert', '--model', gguf, '--to', 'hf', '--out', hf);
    // like a trained model/ directory, with the EOS AutoTokenizer needs (it had no tokenizer_config.json)
    const tc = JSON.parse(readFileSync(join(hf, 'tokenizer_config.json'), 'utf8'));
    expect(tc).toMatchObject({ bos_token: '<s>', eos_token: '</s>' });
    cli('convert', '--model', hf, '--to', 'llama2c', '--out', back);
    const a = readFileSync(src);
    const b = readFileSync(back);
    expect(b.length).toBe(a.length);
    // header + 260,032 weights; the legacy freq_cis block after them is recomputed (run.c ignores it)
    const weightsEnd = 28 + 260032 * 4;
    expect(Buffer.compare(a.subarray(0, weightsEnd), b.subarray(0, weightsEnd))).toBe(0);
    expect(run(hf)).toBe(expected);
    expect(() => cli('convert', '--model', hf, '--to', 'gguf', '--out', gguf)).toThrow(/exists; pass --force/);
  });
});
