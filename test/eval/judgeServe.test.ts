// The openai judge against a real `heed serve` process on loopback: the same weighted protocol as
// the in-process local judge, so on the same checkpoint both must give the same verdicts.
// The judge model is built so that its next-token distribution is known: attention and MLP
// outputs are zero, so the last hidden state is the last token's embedding; the final norm keeps
// one dimension (embedding column 0 = 1 for every token), and the head reads only that
// dimension, with larger weights for the labels `m` than for `M`.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { compare } from '../../src/eval/compare.ts';
import { localJudge } from '../../src/eval/judges/local.ts';
import { openaiJudge } from '../../src/eval/judges/openai.ts';
import { isSwapped } from '../../src/eval/judges/weighted.ts';
import type { ModelOutput } from '../../src/eval/outputs.ts';
import { saveHF } from '../../src/io/hfconfig.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { type RunningServer, startServer } from '../serve/serverProcess.ts';

const tokPath = dataPath('llama2c-stories260K', 'tok512.bin');
const tok = loadLlama2cTokenizer(tokPath);
const config: LlamaConfig = {
  dim: 16,
  nLayers: 1,
  nHeads: 2,
  nKvHeads: 2,
  hiddenDim: 32,
  vocabSize: 512,
  maxSeqLen: 2048,
  ropeTheta: 10000,
  ropeLayout: 'half',
  normEps: 1e-5,
  tiedEmbeddings: false,
};
const tmp = mkdtempSync(join(tmpdir(), 'heed-judge-serve-'));
const dir = join(tmp, 'judge');
let server: RunningServer;

beforeAll(async () => {
  const m = new Llama(config, cpu, { seed: 3 });
  const state = await m.state();
  m.dispose();
  const set = (name: string, f: (data: Float32Array, cols: number) => void) => {
    const t = state.get(name)!;
    f(t.data, t.shape[1] ?? t.shape[0]!);
  };
  set('model.layers.0.self_attn.o_proj.weight', (d) => d.fill(0));
  set('model.layers.0.mlp.down_proj.weight', (d) => d.fill(0));
  set('model.embed_tokens.weight', (d, cols) => {
    for (let i = 0; i < d.length; i += cols) d[i] = 1;
  });
  set('model.norm.weight', (d) => d.fill(0).fill(1, 0, 1));
  set('lm_head.weight', (d, cols) => {
    for (let i = 0; i < d.length; i += cols) d[i] = 0;
    for (const p of ['m', ' m']) d[tok.pieceToId(p)! * cols] = 0.75;
    for (const p of ['M', ' M']) d[tok.pieceToId(p)! * cols] = 0.5;
  });
  saveHF(dir, config, state);
  server = await startServer(['--model', dir, '--tokenizer', tokPath, '--backend', 'cpu', '--model-name', 'judge']);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const instructions = ['Pick one.', 'Which is better?', 'Name an animal.', 'Say something kind.', 'Count to three.', 'Describe the sky.'];
const model: ModelOutput[] = instructions.map((instruction, i) => ({
  instruction,
  output: `answer ${i} from the model`,
  generator: 'model',
  dataset: 'd',
}));
const reference: ModelOutput[] = instructions.map((instruction, i) => ({
  instruction,
  output: `reference answer ${i}`,
  generator: 'ref',
  dataset: 'd',
}));

it("heed serve as an openai: judge gives the local judge's verdicts on the same checkpoint, with the order swap undone", async () => {
  const remote = await compare({
    model,
    reference,
    judge: openaiJudge({ url: `${server.url}/v1`, model: 'judge', topLogprobs: 10, concurrency: 4 }),
  });
  const local = await compare({
    model,
    reference,
    judge: localJudge(buildModel(readCheckpoint(dir), cpu), tok, { name: 'judge', topLogprobs: 10 }),
  });
  const rp = remote.annotations.map((a) => a.preference);
  const lp = local.annotations.map((a) => a.preference);
  expect(rp.every((p) => typeof p === 'number' && p >= 1 && p <= 2)).toBe(true);
  for (let i = 0; i < rp.length; i++) expect(rp[i]).toBeCloseTo(lp[i]!, 5);
  // The model prefers the label m (logit ratio e^(0.75 h) : e^(0.5 h) with h > 0), so the output
  // shown first wins with the same probability in every pair; unswapping maps it back.
  const first = rp[instructions.findIndex((s) => !isSwapped(s, 0))]!;
  expect(first).toBeLessThan(1.5);
  for (const [i, s] of instructions.entries()) expect(rp[i]).toBeCloseTo(isSwapped(s, 0) ? 3 - first : first, 6);
  expect(new Set(instructions.map((s) => isSwapped(s, 0))).size).toBe(2); // both orders occur
}, 120_000);
