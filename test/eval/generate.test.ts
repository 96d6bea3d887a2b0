import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generate } from '../../src/decode/generate.ts';
import { paperRuleWeights, parseRules, rulesAdapter } from '../../src/decode/rules.ts';
import { generateAnswers, promptIds } from '../../src/eval/generate.ts';
import { readInstructions } from '../../src/eval/outputs.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = 'llama2c-stories260K';
const tok = loadLlama2cTokenizer(dataPath(dir, 'tok512.bin'));
const model = buildModel(readCheckpoint(dataPath(dir, 'stories260K.bin')), cpu);
const tmp = mkdtempSync(join(tmpdir(), 'heed-evalgen-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const instructions = [
  'Tell me a story about a cat.',
  '  Who is Lily?  ',
  'Write about the park.',
  'What did Ben find?',
  'Sing a song.',
].map((instruction, i) => ({ instruction, dataset: i % 2 ? 'odd' : 'even' }));
const opts = { model, tokenizer: tok, instructions, generator: 'stories260K', batchSize: 2, maxNewTokens: 12 };

it('writes AlpacaEval rows whose outputs are the greedy continuations of chatText(instruction.trim()), one prompt at a time', async () => {
  const out = join(tmp, 'all.json');
  const rows = (await generateAnswers({ ...opts, out })).rows;
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(rows);
  expect(rows).toHaveLength(5);
  for (const [i, r] of rows.entries()) {
    expect(Object.keys(r).sort()).toEqual(['dataset', 'generator', 'instruction', 'output']);
    expect(r).toMatchObject({ instruction: instructions[i]!.instruction, dataset: instructions[i]!.dataset, generator: 'stories260K' });
    const ids = await generate(model, promptIds(tok, instructions[i]!.instruction), { maxTokens: 12, stopIds: [tok.eos] });
    expect(r.output).toBe(tok.decode(ids, { skipSpecial: true }).trim());
  }
  expect(promptIds(tok, '  Who is Lily?  ')).toEqual(tok.encode('<|user|>\nWho is Lily?\n<|assistant|>\n', { bos: true }));
  expect(rows.some((r) => r.output.length > 0)).toBe(true);
});

it("--rules decodes through the rules adapter: each output is the greedy continuation with the paper's processors, and differs from plain decoding", async () => {
  const out = join(tmp, 'rules.json');
  const rows = (await generateAnswers({ ...opts, out, rules: parseRules('eos,uniform,diversity') })).rows;
  const plain = JSON.parse(readFileSync(join(tmp, 'all.json'), 'utf8')) as { output: string }[];
  const { processors } = rulesAdapter(tok, parseRules('eos,uniform,diversity'), paperRuleWeights(), { eosId: tok.eos });
  for (const [i, r] of rows.entries()) {
    const ids = await generate(model, promptIds(tok, instructions[i]!.instruction), { maxTokens: 12, stopIds: [tok.eos], processors });
    expect(r.output).toBe(tok.decode(ids, { skipSpecial: true }).trim());
  }
  expect(rows.map((r) => r.output)).not.toEqual(plain.map((r) => r.output));
});

it('a crash keeps every finished batch; a rerun generates only the rest and ends with the same file', async () => {
  const full = JSON.parse(readFileSync(join(tmp, 'all.json'), 'utf8'));
  const out = join(tmp, 'resume.json');
  await expect(
    generateAnswers({
      ...opts,
      out,
      onProgress: (done) => {
        if (done === 4) throw new Error('simulated crash');
      },
    }),
  ).rejects.toThrow('simulated crash');
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(full.slice(0, 4));
  const seen: number[] = [];
  const rows = (await generateAnswers({ ...opts, out, onProgress: (d) => seen.push(d) })).rows;
  expect(seen).toEqual([4, 5]); // resumed at 4, one batch of one row
  expect(rows).toEqual(full);
  expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(full);
  expect(readFileSync(out, 'utf8').endsWith('\n')).toBe(true);
});

it('refuses to resume a file of other instructions or another generator, unknown rules, and oversized prompts', async () => {
  const other = join(tmp, 'other.json');
  writeFileSync(other, JSON.stringify([{ instruction: 'something else', output: 'x', generator: 'stories260K', dataset: '' }]));
  await expect(generateAnswers({ ...opts, out: other })).rejects.toThrow(/row 0 answers a different instruction/);
  await expect(generateAnswers({ ...opts, out: join(tmp, 'all.json'), generator: 'other' })).rejects.toThrow(
    /written by generator "stories260K", not "other"/,
  );
  expect(() => parseRules('eos,length')).toThrow(/unknown rule "length"/);
  expect(existsSync(join(tmp, 'r.json'))).toBe(false);
  await expect(
    generateAnswers({ ...opts, out: join(tmp, 'long.json'), instructions: [{ instruction: 'word '.repeat(600), dataset: '' }] }),
  ).rejects.toThrow(/instruction 0 .* tokens; the model's context is 512/);
  expect(existsSync(join(tmp, 'long.json'))).toBe(false);
});

it('reads the built-in instruction sets', () => {
  const alpaca = readInstructions('alpaca-eval');
  expect(alpaca).toHaveLength(805);
  expect(alpaca[0]).toEqual({
    instruction: 'What are the names of some famous actors that started their careers on Broadway?',
    dataset: 'helpful_base',
  });
  const lima = readInstructions('lima-dev');
  expect(lima).toHaveLength(56);
  expect(lima[0]).toEqual({ instruction: 'What is Samyang Buldak ramen?', dataset: 'lima-dev' });
  expect(() => readInstructions(join(tmp, 'missing.jsonl'))).toThrow(/instructions \S*missing.jsonl: does not exist/);
});

it('sampling: row i draws with seed·1,000,003 + i, so its answer depends on neither the batch size nor the other rows; another seed differs', async () => {
  const sampling = { temperature: 1, seed: 7 };
  const a = (await generateAnswers({ ...opts, out: join(tmp, 's-b2.json'), sampling })).rows.map((r) => r.output);
  const b = (await generateAnswers({ ...opts, batchSize: 5, out: join(tmp, 's-b5.json'), sampling })).rows.map((r) => r.output);
  expect(b).toEqual(a);
  for (const i of [0, 3]) {
    const ids = await generate(model, promptIds(tok, instructions[i]!.instruction), {
      maxTokens: 12,
      stopIds: [tok.eos],
      temperature: 1,
      seed: 7 * 1_000_003 + i,
    });
    expect(a[i]).toBe(tok.decode(ids, { skipSpecial: true }).trim());
  }
  const other = (await generateAnswers({ ...opts, out: join(tmp, 's-seed8.json'), sampling: { temperature: 1, seed: 8 } })).rows.map(
    (r) => r.output,
  );
  expect(other).not.toEqual(a);
  const greedy = JSON.parse(readFileSync(join(tmp, 'all.json'), 'utf8')) as { output: string }[];
  expect(a).not.toEqual(greedy.map((r) => r.output));
});
