// Proof against llama2.c: stories260K greedy text byte for byte, and logits at positions 0 and 1.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { beforeAll, expect, it } from 'vitest';
import { fromArray, noGrad } from '../../src/core/tensor.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

const dir = 'llama2c-stories260K';
const golden = JSON.parse(readFileSync(dataPath(dir, 'expected_greedy_t0_n256_tokens_logits.json'), 'utf8')) as {
  tokens: number[];
  logits_pos0: number[];
  logits_pos1: number[];
};

forBackends('stories260K', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });

  it('logits at positions 0 and 1 match the float64 reference within 1e-3', async () => {
    const model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), getB());
    const ids = fromArray(Int32Array.from(golden.tokens.slice(0, 2)), [1, 2], { dtype: 'i32', backend: getB() });
    const logits = await noGrad(() => model.forward(ids)).data();
    const V = 512;
    let worst = 0;
    for (let i = 0; i < V; i++) {
      worst = Math.max(worst, Math.abs(logits[i]! - golden.logits_pos0[i]!), Math.abs(logits[V + i]! - golden.logits_pos1[i]!));
    }
    expect(worst).toBeLessThan(1e-3);
    model.dispose();
  });

  it("`heed generate` prints llama2.c's greedy text exactly (200 tokens)", () => {
    const out = execFileSync(
      process.execPath,
      [
        'bin/heed.js',
        'generate',
        '--model',
        dataPath(dir, 'stories260K.bin'),
        '--tokenizer',
        dataPath(dir, 'tok512.bin'),
        '--temperature',
        '0',
        '--max-tokens',
        '200',
        '--backend',
        kind,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    expect(out).toBe(readFileSync(dataPath(dir, 'expected_greedy_t0_n200.txt'), 'utf8'));
  });
});
