import { beforeAll, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { generate, generateBatch } from '../../src/decode/generate.ts';
import { argmax, sample } from '../../src/decode/sample.ts';
import type { Llama } from '../../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

const dir = 'llama2c-stories260K';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
const prompts = ['Once upon a time', 'The cat', 'Lily and Ben went to the big park to play with a ball'].map((p) =>
  tok.encode(p, { bos: true }),
);

forBackends('generation', (getB, kind) => {
  let model: Llama;
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
    model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), getB());
  });

  it('a ragged batch (left-padded, masked) generates what each prompt generates alone', async () => {
    const alone = [];
    for (const p of prompts) alone.push(await generate(model, p, { maxTokens: 30 }));
    const batched = await generateBatch(model, prompts, { maxTokens: 30 });
    expect(batched).toEqual(alone);
    expect(alone.every((a) => a.length === 30)).toBe(true);
  });

  it('stops at a stop id and at maxTokens; seeded sampling is reproducible', async () => {
    const greedy = await generate(model, prompts[0]!, { maxTokens: 12 });
    const stopAt = greedy[5]!;
    const cut = await generate(model, prompts[0]!, { maxTokens: 12, stopIds: [stopAt] });
    expect(cut).toEqual(greedy.slice(0, greedy.indexOf(stopAt)));
    const a = await generate(model, prompts[1]!, { maxTokens: 20, temperature: 1, seed: 3 });
    const b = await generate(model, prompts[1]!, { maxTokens: 20, temperature: 1, seed: 3 });
    expect(a).toEqual(b);
    expect(a).not.toEqual(await generate(model, prompts[1]!, { maxTokens: 20 }));
  });

  it('rejects empty prompts and out-of-vocabulary ids', async () => {
    await expect(generateBatch(model, [[1], []], { maxTokens: 2 })).rejects.toThrow(/every prompt needs at least one token/);
    await expect(generate(model, [1, 512], { maxTokens: 2 })).rejects.toThrow(/token id 512 is outside the vocabulary \(size 512\)/);
  });
});

it('samplers: argmax takes the first maximum; temperature sampling follows softmax', () => {
  expect(argmax([1, 3, 3, 2])).toBe(1);
  const r = new Rng(5);
  const counts = [0, 0];
  for (let i = 0; i < 4000; i++) counts[sample([0, Math.log(3)], 1, r)]!++;
  expect(counts[1]! / 4000).toBeGreaterThan(0.72);
  expect(counts[1]! / 4000).toBeLessThan(0.78);
  expect(sample([5, 1], 0, r)).toBe(0);
});
