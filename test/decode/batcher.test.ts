import { beforeAll, expect, it } from 'vitest';
import { ContinuousBatcher, runs } from '../../src/decode/batcher.ts';
import { generateBatchResults } from '../../src/decode/generate.ts';
import type { GenerationResult, SequenceOptions } from '../../src/decode/sequence.ts';
import type { Llama } from '../../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

const dir = 'llama2c-stories260K';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
const enc = (s: string) => tok.encode(s, { bos: true });

async function alone(model: Llama, prompt: number[], opts: SequenceOptions): Promise<GenerationResult> {
  return (await generateBatchResults(model, [prompt], opts))[0]!;
}

forBackends('continuous batching', (getB, kind) => {
  let model: Llama;
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
    model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), getB());
  });

  it('rows that join at later steps (side prefill and re-base) and leave early generate what each generates alone', async () => {
    const b = new ContinuousBatcher(model, { maxBatch: 8 });
    const reqs: { prompt: number[]; opts: SequenceOptions; at: number }[] = [
      { prompt: enc('Once upon a time'), opts: { maxTokens: 40 }, at: -1 },
      { prompt: enc('The cat'), opts: { maxTokens: 8 }, at: 3 }, // joins by side prefill, leaves early
      { prompt: enc('Tom had a red ball'), opts: { maxTokens: 20, temperature: 0.9, seed: 11, topK: 40 }, at: 3 },
      // longer than the batch's position at step 6: every row re-bases
      { prompt: enc('Lily and Ben went to the big park to play with a ball and a kite'), opts: { maxTokens: 15 }, at: 6 },
      { prompt: [tok.bos], opts: { maxTokens: 12 }, at: 20 }, // BOS only: nothing to prefill
    ];
    const results: Promise<GenerationResult>[] = [];
    const launch = (i: number) => results.push(b.submit(reqs[i]!.prompt, reqs[i]!.opts).result);
    results.push(
      b.submit(reqs[0]!.prompt, {
        ...reqs[0]!.opts,
        onToken: () => {
          const n = b.stats.steps;
          reqs.forEach((r, i) => r.at === n && launch(i));
        },
      }).result,
    );
    await results[0];
    await b.idle();
    const got = await Promise.all(results);
    expect(got.length).toBe(reqs.length);
    expect(b.stats.joins).toBeGreaterThan(0);
    expect(b.stats.resizes).toBeGreaterThan(0);
    expect(b.stats.rebases).toBeGreaterThan(1); // the start and the long prompt
    // results were pushed in launch order: 0, then the others by `at`
    const order = [0, 1, 2, 3, 4];
    for (let k = 0; k < order.length; k++) {
      const r = reqs[order[k]!]!;
      const ref = await alone(model, r.prompt, r.opts);
      expect(got[k]!.ids, `request ${order[k]}`).toEqual(ref.ids);
      expect(got[k]!.ids.length).toBe(r.opts.maxTokens);
      expect(got[k]!.finishReason).toBe('length');
    }
  });

  it('a batch whose position reaches the cache capacity re-bases and continues exactly', async () => {
    // a 128-position context makes the capacity cheap to reach (RoPE angles are computed per position)
    const ckpt = readCheckpoint(dataPath(dir, 'stories260K.bin'));
    const model = buildModel({ config: { ...ckpt.config, maxSeqLen: 128 }, weights: ckpt.weights }, getB());
    const b = new ContinuousBatcher(model);
    const first = enc('Once upon a time');
    const late = enc('The dog');
    const C = model.config.maxSeqLen;
    let lateRes: Promise<GenerationResult> | undefined;
    const firstOpts: SequenceOptions = { maxTokens: C - first.length - 20 };
    const lateOpts: SequenceOptions = { maxTokens: 60 };
    const r0 = b.submit(first, {
      ...firstOpts,
      onToken: () => {
        if (b.stats.steps === C - first.length - 40) lateRes = b.submit(late, lateOpts).result;
      },
    }).result;
    const got0 = await r0;
    const got1 = await lateRes!;
    expect(b.stats.rebases).toBe(2);
    expect(got0.ids).toEqual((await alone(model, first, firstOpts)).ids);
    expect(got1.ids).toEqual((await alone(model, late, lateOpts)).ids);
  });

  it('a batch that empties out compacts, and a later row takes the freed cache row', async () => {
    const b = new ContinuousBatcher(model);
    const words = ['The cat', 'A dog', 'Tom', 'Lily', 'The sun', 'One day', 'Ben', 'A bird'];
    const short = words.map((w) => enc(w));
    const long = enc('Once upon a time');
    const late = enc('The girl');
    let lateRes: Promise<GenerationResult> | undefined;
    const all = [
      b.submit(long, { maxTokens: 24, onToken: () => b.stats.steps === 10 && (lateRes = b.submit(late, { maxTokens: 6 }).result) }).result,
      ...short.map((p) => b.submit(p, { maxTokens: 3 }).result),
    ];
    const got = await Promise.all(all);
    const gotLate = await lateRes!;
    // grown once (the 8 short rows join the first: 18 rows for 9), compacted once (1 row left of
    // 18 -> 2 rows); the late row then takes the free row without a third resize
    expect(b.stats.resizes).toBe(2);
    expect(b.stats.joins).toBe(2);
    expect(got[0]!.ids).toEqual((await alone(model, long, { maxTokens: 24 })).ids);
    for (let i = 0; i < short.length; i++) expect(got[i + 1]!.ids).toEqual((await alone(model, short[i]!, { maxTokens: 3 })).ids);
    expect(gotLate.ids).toEqual((await alone(model, late, { maxTokens: 6 })).ids);
  });

  it('a cancelled row stops with reason abort and the others are unaffected; bad prompts are refused at submit', async () => {
    const b = new ContinuousBatcher(model);
    const p = enc('The cat');
    const s = b.submit(p, { maxTokens: 30 });
    const other = b.submit(enc('Once upon a time'), { maxTokens: 20, onToken: (_id) => b.stats.steps === 4 && s.cancel() });
    const [a, o] = await Promise.all([s.result, other.result]);
    expect(a.finishReason).toBe('abort');
    expect(a.ids.length).toBeLessThan(30);
    expect(a.ids).toEqual((await alone(model, p, { maxTokens: 30 })).ids.slice(0, a.ids.length));
    expect(o.ids).toEqual((await alone(model, enc('Once upon a time'), { maxTokens: 20 })).ids);
    expect(() => b.submit([], { maxTokens: 2 })).toThrow(/at least one token/);
    expect(() => b.submit([1, 999], { maxTokens: 2 })).toThrow(/token id 999 is outside the vocabulary/);
    expect(() => b.submit([1], { maxTokens: 2, topP: 0 })).toThrow(/topP must be in \(0, 1\]/);
    expect((await b.submit([1], { maxTokens: 0 }).result).ids).toEqual([]);
  });
});

it('row moves merge into runs of consecutive rows', () => {
  expect(
    runs([
      [0, 3],
      [1, 4],
      [3, 5],
      [4, 6],
      [6, 0],
    ]),
  ).toEqual([
    [0, 3, 2],
    [3, 5, 2],
    [6, 0, 1],
  ]);
  expect(runs([])).toEqual([]);
});
