// `heed eval ifeval` end to end: scoring a responses file, the knowledge-free subset, clear errors,
// and generating responses with a real (tiny) checkpoint first, resumably.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { help, run } from '../../src/cli/eval-ifeval.ts';
import { generateAnswers } from '../../src/eval/generate.ts';
import { ifevalInstructions, responsesOf } from '../../src/eval/ifeval/answers.ts';
import { readInputs, runIfeval } from '../../src/eval/ifeval/index.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { generateBatch } from '../../src/decode/generate.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { loadLlama2cTokenizer } from '../../src/tokenizer/llama2c.ts';
import { chatText } from '../../src/tokenizer/tokenizer.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const dir = mkdtempSync(join(tmpdir(), 'heed-ifeval-'));
const input = join(dir, 'input.jsonl');
writeFileSync(
  input,
  [
    {
      key: 1,
      prompt: 'Say hi without commas.',
      instruction_id_list: ['punctuation:no_comma', 'detectable_format:title'],
      kwargs: [{}, {}],
    },
    { key: 2, prompt: 'Shout.', instruction_id_list: ['change_case:english_capital'], kwargs: [{}] },
    { key: 3, prompt: 'Give a title.', instruction_id_list: ['detectable_format:title'], kwargs: [{}] },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n'),
);
const responses = join(dir, 'responses.jsonl');
writeFileSync(
  responses,
  [
    { prompt: 'Say hi without commas.', response: 'hi there friend' },
    { prompt: 'Shout.', response: 'THIS IS THE LOUDEST OF ALL THE THINGS THAT WE HAVE SAID TO YOU' },
    { prompt: 'Give a title.', response: '<<A Title>>\nbody' },
  ]
    .map((r) => JSON.stringify(r))
    .join('\n'),
);
const quiet = async (argv: string[]) => {
  const log = console.log;
  console.log = () => {};
  try {
    return await run(argv);
  } finally {
    console.log = log;
  }
};

describe('heed eval ifeval', () => {
  it('scores a responses file and writes the official rows and the summary', async () => {
    const out = join(dir, 'out');
    expect(await quiet(['--responses', responses, '--input', input, '--out', out])).toBe(0);
    const strict = readFileSync(join(out, 'eval_results_strict.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(strict.map((r) => r.follow_instruction_list)).toEqual([[true, false], [true], [true]]);
    const s = JSON.parse(readFileSync(join(out, 'ifeval_summary.json'), 'utf8'));
    expect(s).toMatchObject({
      prompt_strict: 2 / 3,
      prompt_loose: 2 / 3,
      inst_strict: 3 / 4,
      inst_loose: 3 / 4,
      n: 3,
      n_instructions: 4,
      subset: 'all',
      missing: 0,
    });
    expect(s.per_family).toEqual({ change_case: 1, detectable_format: 0.5, punctuation: 1 });
  });

  it('--subset knowledge-free keeps only form instructions and drops prompts left empty', async () => {
    const out = join(dir, 'kf');
    expect(await quiet(['--responses', responses, '--input', input, '--out', out, '--subset', 'knowledge-free'])).toBe(0);
    const s = JSON.parse(readFileSync(join(out, 'ifeval_summary.json'), 'utf8'));
    expect(s).toMatchObject({ n: 2, n_instructions: 2, prompt_strict: 1, subset: 'knowledge-free' });
  });

  it('refuses unknown instruction ids, unknown subsets and missing responses, naming them', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(bad, JSON.stringify({ key: 9, prompt: 'x', instruction_id_list: ['keywords:made_up'], kwargs: [{}] }));
    await expect(run(['--responses', responses, '--input', bad])).rejects.toThrow(
      /bad\.jsonl:1 \(key 9\): unknown instruction id "keywords:made_up"/,
    );
    await expect(run(['--responses', responses, '--input', input, '--subset', 'easy'])).rejects.toThrow(
      /--subset must be one of all, knowledge-free/,
    );
    const partial = join(dir, 'partial.jsonl');
    writeFileSync(partial, JSON.stringify({ prompt: 'Shout.', response: 'NO' }));
    await expect(run(['--responses', partial, '--input', input, '--out', join(dir, 'p')])).rejects.toThrow(
      /no response for 2 prompt\(s\), keys 1, 3/,
    );
    expect(await quiet(['--responses', partial, '--input', input, '--out', join(dir, 'p'), '--allow-missing'])).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, 'p', 'ifeval_summary.json'), 'utf8'))).toMatchObject({ n: 1, missing: 2 });
    await expect(run(['--input', input])).rejects.toThrow(/--responses or --model is required/);
    expect(help).toMatch(/--subset NAME/);
  });

  it("--model generates greedy responses with the evaluator's one generator (prompt and answer trimmed), resumably", async () => {
    const model = join(dir, 'gen');
    const tokPath = dataPath('llama2c-stories260K', 'tok512.bin');
    const ckptPath = dataPath('llama2c-stories260K', 'stories260K.bin');
    const argv = [
      '--model',
      ckptPath,
      '--tokenizer',
      tokPath,
      '--input',
      input,
      '--out',
      model,
      '--max-new-tokens',
      '12',
      '--batch-size',
      '2',
      '--backend',
      'cpu',
    ];
    const err = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(await quiet(argv)).toBe(0);
      const made = readFileSync(join(model, 'responses.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { prompt: string; response: string });
      expect(made.length).toBe(3);
      const tok = loadLlama2cTokenizer(tokPath);
      const m = buildModel(readCheckpoint(ckptPath), cpu);
      for (const r of made) {
        const ids = (
          await generateBatch(m, [tok.encode(chatText(r.prompt.trim()), { bos: true })], { maxTokens: 12, stopIds: [tok.eos] })
        )[0]!;
        expect(r.response).toBe(tok.decode(ids.at(-1) === tok.eos ? ids.slice(0, -1) : ids, { skipSpecial: true }).trim());
      }
      // Resume: a rerun finds every answer in ifeval_outputs.json and generates none.
      const before = readFileSync(join(model, 'ifeval_outputs.json'), 'utf8');
      expect(await quiet(argv)).toBe(0);
      expect(readFileSync(join(model, 'ifeval_outputs.json'), 'utf8')).toBe(before);
    } finally {
      process.stderr.write = err;
    }
  });

  it("gives the same IFEval score as the study's generate stage for the same model (untrimmed prompts too)", async () => {
    // The study trimmed prompts and answers and `heed eval ifeval` did not, so one model got two
    // scores; both now go through generateAnswers + responsesOf.
    const spaced = join(dir, 'spaced.jsonl');
    writeFileSync(
      spaced,
      [
        { key: 1, prompt: '  Tell me a story without commas.  ', instruction_id_list: ['punctuation:no_comma'], kwargs: [{}] },
        { key: 2, prompt: 'Write in lowercase only.\n', instruction_id_list: ['change_case:english_lowercase'], kwargs: [{}] },
        { key: 3, prompt: 'Say "Lily" ', instruction_id_list: ['startend:quotation'], kwargs: [{}] },
      ]
        .map((r) => JSON.stringify(r))
        .join('\n'),
    );
    const tokPath = dataPath('llama2c-stories260K', 'tok512.bin');
    const ckptPath = dataPath('llama2c-stories260K', 'stories260K.bin');
    const out = join(dir, 'same');
    const err = process.stderr.write;
    process.stderr.write = () => true;
    try {
      expect(
        await quiet([
          '--model',
          ckptPath,
          '--tokenizer',
          tokPath,
          '--input',
          spaced,
          '--out',
          out,
          '--max-new-tokens',
          '16',
          '--batch-size',
          '2',
          '--backend',
          'cpu',
        ]),
      ).toBe(0);
    } finally {
      process.stderr.write = err;
    }
    const cli = JSON.parse(readFileSync(join(out, 'ifeval_summary.json'), 'utf8'));
    // The study's generate stage: generateAnswers over ifevalInstructions, scored through responsesOf.
    const inputs = readInputs(spaced);
    const m = buildModel(readCheckpoint(ckptPath), cpu);
    const { rows } = await generateAnswers({
      model: m,
      tokenizer: loadLlama2cTokenizer(tokPath),
      instructions: ifevalInstructions(inputs),
      generator: 'study',
      out: join(dir, 'study-ifeval.json'),
      maxNewTokens: 16,
      batchSize: 2,
    });
    const study = runIfeval(inputs, responsesOf(rows), { subset: 'all' }).summary;
    expect(cli).toMatchObject({
      prompt_strict: study.prompt_strict,
      inst_strict: study.inst_strict,
      prompt_loose: study.prompt_loose,
      inst_loose: study.inst_loose,
    });
    const made = readFileSync(join(out, 'responses.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { response: string });
    expect(made.map((r) => r.response)).toEqual(rows.map((r) => r.output));
  });
});
