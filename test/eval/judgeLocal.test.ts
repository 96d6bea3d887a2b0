// The in-process judge: the same weighted protocol read off Llama.forward's next-token logits.
import { beforeAll, expect, it } from 'vitest';
import { fromArray, noGrad } from '../../src/core/tensor.ts';
import { compare } from '../../src/eval/compare.ts';
import { localJudge, localJudgePrompt, topLogprobsFromLogits } from '../../src/eval/judges/local.ts';
import { isSwapped, presentPair } from '../../src/eval/judges/weighted.ts';
import { Llama } from '../../src/nn/llama.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { forBackends, gpu } from '../helpers/backends.ts';

const dir = 'llama2c-stories260K';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
// Every spelling of the labels counts: tok512 has both `m` and ` m` (and `M`, ` M`).
const mIds = ['m', ' m'].map((p) => tok.pieceToId(p)!);
const MIds = ['M', ' M'].map((p) => tok.pieceToId(p)!);

it('the labels have two spellings each in tok512', () => {
  expect(mIds.every((id) => id !== undefined) && MIds.every((id) => id !== undefined)).toBe(true);
});

it('the judge prompt is the Tulu chat format; a lone user turn is chatText', () => {
  expect(
    localJudgePrompt([
      { role: 'system', content: 'S' },
      { role: 'user', content: 'U' },
    ]),
  ).toBe('<|system|>\nS\n<|user|>\nU\n<|assistant|>\n');
  expect(localJudgePrompt([{ role: 'user', content: ' x ' }])).toBe(chatText(' x '));
});

it('top log-probabilities from a logit row: sorted, normalised, spelled as pieces', () => {
  const logits = [0, Math.log(3), 5, 5, Math.log(6)]; // two rows: [0, log 3] and [5, 5, log 6] at offset 2
  const top = topLogprobsFromLogits(logits, 2, 3, 2, { idToPiece: (id) => `t${id}` });
  const lse = Math.log(2 * Math.exp(5) + 6);
  expect(top).toEqual([
    { token: 't0', logprob: 5 - lse },
    { token: 't1', logprob: 5 - lse },
  ]);
  expect(topLogprobsFromLogits([0, Math.log(3)], 0, 2, 1, { idToPiece: (id) => `t${id}` })[0]!.logprob).toBeCloseTo(Math.log(3 / 4), 14);
});

const pairs = [
  { instruction: 'Pick one.', output_1: 'A cat.', output_2: 'A dog.' },
  { instruction: 'Say hi.', output_1: 'Hi!', output_2: 'Hello there.' },
  { instruction: 'Count.', output_1: 'one two', output_2: '1 2 3' },
];

forBackends('local judge', (getB, kind) => {
  let model: Llama;
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
    // A random small Llama over tok512 with room for the judge prompt (~870 tokens with tok512).
    model = new Llama(
      {
        dim: 32,
        nLayers: 2,
        nHeads: 4,
        nKvHeads: 2,
        hiddenDim: 64,
        vocabSize: 512,
        maxSeqLen: 1400,
        ropeTheta: 10000,
        ropeLayout: 'interleaved',
        normEps: 1e-5,
        tiedEmbeddings: false,
      },
      getB(),
      { seed: 7 },
    );
  });

  it('preference = 2 − P(m)/(P(m)+P(M)) of the next token, mapped back through the swap; batched = one by one', async () => {
    expect(pairs.some((p) => isSwapped(p.instruction, 0)) && pairs.some((p) => !isSwapped(p.instruction, 0))).toBe(true);
    // With every token in the "top" list the verdict is exactly the two labels' softmax ratio.
    const judge = localJudge(model, tok, { name: 'random', batchSize: 3, topLogprobs: 512 });
    const batched = await judge.judge(pairs);
    const single = localJudge(model, tok, { name: 'random', batchSize: 1, topLogprobs: 512 });
    for (const [i, p] of pairs.entries()) {
      const { messages, swapped } = presentPair(p, 0);
      const ids = tok.encode(localJudgePrompt(messages), { bos: true });
      const logits = await noGrad(() =>
        model.forward(fromArray(Int32Array.from(ids), [1, ids.length], { dtype: 'i32', backend: model.backend }), { lastOnly: true }),
      ).data();
      const pm = mIds.reduce((a, id) => a + Math.exp(logits[id]!), 0);
      const pM = MIds.reduce((a, id) => a + Math.exp(logits[id]!), 0);
      const shown = 2 - pm / (pm + pM);
      const expected = swapped ? 3 - shown : shown;
      expect(batched[i]!.preference).toBeCloseTo(expected, 4);
      expect((await single.judge([p]))[0]!.preference).toBeCloseTo(expected, 4);
    }
  });

  it('a prompt longer than the context gets no verdict (dropped and counted), the rest are judged', async () => {
    const judge = localJudge(model, tok, { name: 'random', topLogprobs: 512 });
    const row = (instruction: string, output: string, generator: string) => ({ instruction, output, generator, dataset: '' });
    const { summary, annotations } = await compare({
      model: [row('Pick one.', 'A dog.', 'mod'), row('Long.', 'x'.repeat(1500), 'mod')],
      reference: [row('Pick one.', 'A cat.', 'ref'), row('Long.', 'y', 'ref')],
      judge,
    });
    expect(annotations[1]!.preference).toBeNull();
    expect(annotations[1]!.raw_completion).toMatchObject({ skipped: expect.stringMatching(/exceeds the judge's maxSeqLen 1400/) });
    expect(summary).toMatchObject({ n_no_verdict: 1, n_total: 1, judge: 'local:random' });
  });
});
