// Self-Instruct pieces: seed tasks, prompts (exact text), parsing, the filters (ROUGE-L against
// hand-computed values), and the loop over a scripted completion function: dedup, rejections
// counted, provenance, resume after a torn line.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  InstructionPool,
  evolPrompt,
  instancePrompt,
  instructionPrompt,
  outputPrompt,
  parseEvolved,
  parseInput,
  parseInstructions,
  parseOutput,
  parseSeedTasks,
  readSeedTasks,
  ruleRejection,
} from '../../src/data/selfInstruct.ts';
import { type Complete, generateInstructions, readGenerated } from '../../src/data/selfInstructRun.ts';
import { rougeL } from '../../src/eval/rouge.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const f1 = (a: string, b: string) => rougeL(a, b).f1;
const tmp = () => mkdtempSync(join(tmpdir(), 'heed-si-'));

describe('seed tasks', () => {
  it('reads the 175 Self-Instruct seeds', () => {
    const s = readSeedTasks(dataPath('alpaca', 'seed_tasks.jsonl'));
    expect(s).toHaveLength(175);
    expect(s[0]!.id).toBe('seed_task_0');
    expect(s[0]!.instruction).toMatch(/^Is there anything I can eat for a breakfast/);
    expect(s.every((t) => t.instances.length > 0)).toBe(true);
  });
  it('refuses a malformed seed file, naming the line', () => {
    expect(() => parseSeedTasks('{"instruction": "x", "instances": []}', 's.jsonl')).toThrow(
      's.jsonl:1: a seed task needs a non-empty "instances" array',
    );
    expect(() => parseSeedTasks('\n{bad', 's.jsonl')).toThrow('s.jsonl:2: invalid JSON');
  });
});

describe('prompts (exact text)', () => {
  it('instruction prompt', () => {
    expect(instructionPrompt(['Add two numbers.', 'Name a colour.'])).toBe(
      'Come up with a series of tasks:\nTask 1: Add two numbers.\nTask 2: Name a colour.\nTask 3:',
    );
  });
  it('instance prompt, <noinput> for an empty input', () => {
    expect(
      instancePrompt('Say hi.', [
        { instruction: 'Add.', input: '2, 3', output: '5' },
        { instruction: 'Joke.', input: '', output: 'Ha.' },
      ]),
    ).toBe(
      "Come up with examples for the following tasks. If the task doesn't require additional input, write <noinput> as the input.\n\nTask: Add.\nInput: 2, 3\nOutput: 5\n\nTask: Joke.\nInput: <noinput>\nOutput: Ha.\n\nTask: Say hi.\nInput:",
    );
  });
  it('evol prompts name their operation', () => {
    expect(evolPrompt('Sort a list.', 'add-constraints')).toContain('Add one more constraint or requirement to it.\n');
    expect(evolPrompt('Sort a list.', 'deepen')).toMatch(/#Given Prompt#:\nSort a list\.\n\n#Rewritten Prompt#:\n$/);
    expect(evolPrompt('Sort a list.', 'broaden')).toMatch(/^I want you to act as a Prompt Creator\.[\s\S]*#Created Prompt#:\n$/);
  });
});

describe('parsing', () => {
  it('instructions: one per "Task N:" line, whitespace tidied, a length-cut last line dropped', () => {
    expect(parseInstructions(' List three fruits.\nTask 10: Explain  gravity to a child.\nTask 11: Half a sen', 'length')).toEqual([
      'List three fruits.',
      'Explain gravity to a child.',
    ]);
    expect(parseInstructions(' List three fruits.\nTask 10: Explain gravity.', 'stop')).toEqual(['List three fruits.', 'Explain gravity.']);
    expect(parseInstructions(' List three fruits.\nOnce upon a time\nTask 3: not reached', 'stop')).toEqual(['List three fruits.']);
    expect(parseInstructions(' A sentence cut by the limi', 'length')).toEqual([]);
    expect(parseInstructions('   ', 'stop')).toEqual([]);
  });
  it('instances: the input line (<noinput> is none; a length-cut one is refused), then the output', () => {
    expect(parseInput(' 2, 3\nmore', 'stop')).toBe('2, 3');
    expect(parseInput(' <noinput>', 'stop')).toBe('');
    expect(parseInput(' a long input cut by the lim', 'length')).toEqual({ reason: 'input cut at the token limit' });
    expect(parseOutput(' 5\nTask: next')).toBe('5');
    expect(parseOutput(' Line one.\nLine two.\n\nTrailing')).toBe('Line one.\nLine two.');
    expect(parseOutput('  \n\nx')).toEqual({ reason: 'empty output' });
    expect(outputPrompt('…Task: Say hi.\nInput:', '')).toBe('…Task: Say hi.\nInput: <noinput>\nOutput:');
    expect(outputPrompt('…Task: Add.\nInput:', '2, 3')).toBe('…Task: Add.\nInput: 2, 3\nOutput:');
  });
  it('evolved: up to a blank line or a #Marker#; a length-cut rewrite is refused', () => {
    expect(parseEvolved('Sort a list of  numbers in O(n log n).\n\nmore', 'length')).toBe('Sort a list of numbers in O(n log n).');
    expect(parseEvolved('Sort it. #Rewritten Prompt# x')).toBe('Sort it.');
    expect(parseEvolved(' Sort it.', 'stop')).toBe('Sort it.');
    expect(parseEvolved(' Sort the list by the sec', 'length')).toEqual({ reason: 'rewrite cut at the token limit' });
    expect(parseEvolved(' \n\nx', 'stop')).toEqual({ reason: 'no instruction parsed' });
  });
});

describe('filters', () => {
  it.each([
    ['Hi there', 'fewer than 3 words'],
    [Array(151).fill('word').join(' '), 'more than 150 words'],
    ['Describe the image below in detail.', 'mentions "image"'],
    ['Plot the data as a chart.', 'mentions "plot"'],
    ['Tell me how to go to the station.', 'mentions "go to"'],
    ['Write a program that sorts numbers.', 'starts with "Write a program"'],
    ['"Quoted" instructions are odd.', 'starts with punctuation'],
    ['Écris un poème sur la mer.', 'starts with a non-English character'],
  ])('%s → %s', (text, reason) => {
    expect(ruleRejection(text)).toBe(reason);
  });
  it('accepts an ordinary instruction (keywords match whole words only)', () => {
    expect(ruleRejection('Summarize the profile of a famous mapmaker.')).toBeNull();
  });
  it('ROUGE-L F1, hand-computed', () => {
    // give three tips for staying {healthy|happy}: LCS 5 of 6 and 6 → P = R = 5/6
    expect(f1('Give three tips for staying healthy.', 'Give three tips for staying happy.')).toBeCloseTo(5 / 6, 12);
    // write a poem about the sea (6) vs write a story about the sea at night (8): LCS 5 → 2·(5/6)(5/8)/((5/6)+(5/8)) = 5/7
    expect(f1('Write a poem about the sea', 'Write a story about the sea at night')).toBeCloseTo(5 / 7, 12);
    // no shared token
    expect(f1('Name a colour.', 'Add two numbers.')).toBe(0);
  });
  it('the pool keeps < 0.7 and refuses >= 0.7 and exact duplicates, naming the nearest', () => {
    const pool = new InstructionPool(f1);
    pool.add('Give three tips for staying healthy.');
    pool.add('Write a poem about the sea');
    expect(pool.check('Give three tips for staying happy.')).toEqual({
      reason: 'ROUGE-L >= 0.7',
      nearest: 'Give three tips for staying healthy.',
      score: 5 / 6,
    });
    expect(pool.check('Write a story about the sea at night').reason).toBe('ROUGE-L >= 0.7');
    expect(pool.check('  write a POEM about the sea ').reason).toBe('duplicate');
    // write about the sea: 4 of 4 and 6 → F1 = 2·1·(4/6)/(1 + 4/6) = 0.8; "Describe the sea at dawn" → 2 of 5/6
    const ok = pool.check('Describe the sea at dawn.');
    expect(ok.reason).toBeNull();
    expect(ok.score).toBeCloseTo((2 * (2 / 5) * (2 / 6)) / (2 / 5 + 2 / 6), 12);
  });
});

/** A scripted endpoint: instruction prompts get `batches` in turn; instance prompts echo a pair. */
function scripted(batches: string[]): { complete: Complete; prompts: string[] } {
  const prompts: string[] = [];
  let b = 0;
  const complete: Complete = async (prompt) => {
    prompts.push(prompt);
    if (prompt.startsWith('Come up with a series of tasks')) return { text: batches[b++ % batches.length]!, finishReason: 'stop' };
    if (prompt.startsWith('I want you to act')) return { text: ` ${batches[b++ % batches.length]!}`, finishReason: 'stop' };
    const input = /Task: ([^\n]*)\nInput:$/.exec(prompt);
    if (input)
      return input[1]!.startsWith('Broken')
        ? { text: ' an input cut by the token lim', finishReason: 'length' }
        : { text: ' <noinput>', finishReason: 'stop' };
    const task = /Task: ([^\n]*)\nInput: <noinput>\nOutput:$/.exec(prompt)![1]!;
    return { text: ` Answer to ${task}\n\nTask: x`, finishReason: 'stop' };
  };
  return { complete, prompts };
}

const seeds = readSeedTasks(dataPath('alpaca', 'seed_tasks.jsonl')).slice(0, 10);

describe('the loop (scripted endpoint)', () => {
  it('keeps new, dissimilar, well-formed instructions; counts every rejection; writes Alpaca rows with provenance', async () => {
    const out = join(tmp(), 'gen.jsonl');
    const { complete, prompts } = scripted([
      ' Name three famous painters from Spain.\nTask 4: Describe the image above.\nTask 5: Name three famous painters from Italy.\nTask 6: Hi\nTask 7: Broken instance please now\nTask 8: Explain why the sky looks blue at noon.',
      ' Explain why the sky looks blue at noon.\nTask 4: Suggest a name for a pet turtle.',
    ]);
    const r = await generateInstructions({
      mode: 'self-instruct',
      n: 3,
      seeds,
      out,
      complete,
      similarity: f1,
      provenance: { model: 'fake' },
      promptTasks: 3,
      demos: 1,
    });
    const rows = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows.map((x) => x.instruction)).toEqual([
      'Name three famous painters from Spain.',
      'Explain why the sky looks blue at noon.',
      'Suggest a name for a pet turtle.',
    ]);
    expect(rows[0]).toMatchObject({
      input: '',
      output: 'Answer to Name three famous painters from Spain.',
      provenance: { model: 'fake', mode: 'self-instruct', generated_shown: 0 },
    });
    expect(rows[0].provenance.seed_tasks).toHaveLength(3);
    expect(rows[2].provenance.generated_shown).toBe(0); // floor(3/4) = 0 generated tasks shown
    expect(Object.fromEntries(r.rejected)).toEqual({
      'mentions "image"': 1,
      'ROUGE-L >= 0.7': 1,
      'fewer than 3 words': 1,
      'input cut at the token limit': 1,
      duplicate: 1,
    });
    expect(r).toMatchObject({ kept: 3, resumed: 0, repaired: false });
    // 2 instruction prompts + 3 kept x (input + output) + 1 broken input
    expect(r.requests).toBe(9);
    expect(rows[0].provenance.output_finish_reason).toBe('stop');
    expect(prompts[0]).toMatch(/^Come up with a series of tasks:\nTask 1: .*\nTask 2: .*\nTask 3: .*\nTask 4:$/);
  });

  it('resumes: kept rows come back into the pool, a torn last line is cut, and --n counts them', async () => {
    const out = join(tmp(), 'gen.jsonl');
    const row = { instruction: 'Suggest a name for a pet turtle.', input: '', output: 'Shelly', provenance: {} };
    writeFileSync(out, `${JSON.stringify(row)}\n{"instruction": "torn`);
    const { complete } = scripted([' Suggest a name for a pet turtle.\nTask 4: List four rivers in Africa.']);
    const r = await generateInstructions({
      mode: 'self-instruct',
      n: 2,
      seeds,
      out,
      complete,
      similarity: f1,
      provenance: {},
      promptTasks: 4,
    });
    expect(r).toMatchObject({ kept: 1, resumed: 1, repaired: true });
    expect(Object.fromEntries(r.rejected)).toEqual({ duplicate: 1 });
    expect(readGenerated(out).rows.map((x) => x.instruction)).toEqual(['Suggest a name for a pet turtle.', 'List four rivers in Africa.']);
  });

  it('refuses to resume into a file with a bad line in the middle', () => {
    const out = join(tmp(), 'bad.jsonl');
    writeFileSync(out, '{"a": 1}\n{"instruction": "x", "input": "", "output": "y"}\n');
    expect(() => readGenerated(out)).toThrow(/bad\.jsonl:1: instruction is missing; not a generated row/);
  });

  it('stops at maxRequests when the model gives nothing usable', async () => {
    const out = join(tmp(), 'gen.jsonl');
    const { complete } = scripted([' Hi']);
    const r = await generateInstructions({
      mode: 'self-instruct',
      n: 5,
      seeds,
      out,
      complete,
      similarity: f1,
      provenance: {},
      maxRequests: 4,
    });
    expect(r).toMatchObject({ kept: 0, requests: 4 });
    expect(Object.fromEntries(r.rejected)).toEqual({ 'fewer than 3 words': 4 });
  });

  it('evol: rewrites parents with a named operation; a rewrite equal to its parent is refused', async () => {
    const out = join(tmp(), 'evol.jsonl');
    const one = [{ id: 's0', instruction: 'Sort a list of numbers.', instances: [{ input: '', output: '1 2 3' }] }];
    const { complete, prompts } = scripted([
      'Sort a list of numbers.',
      'Sort a list of numbers in descending order without using built-in sort.',
      'Sort a list of numbers in descending order without using built-in sort functions.',
    ]);
    const r = await generateInstructions({ mode: 'evol', n: 1, seeds: one, out, complete, similarity: f1, provenance: {}, demos: 1 });
    expect(Object.fromEntries(r.rejected)).toEqual({ 'same as its parent': 1 });
    const rows = readGenerated(out).rows;
    expect(rows).toHaveLength(1);
    expect(rows[0]!.instruction).toBe('Sort a list of numbers in descending order without using built-in sort.');
    expect(rows[0]!.provenance).toMatchObject({ mode: 'evol', parent: 'Sort a list of numbers.' });
    expect(['add-constraints', 'deepen', 'concretize', 'broaden']).toContain(rows[0]!.provenance.operation);
    expect(prompts[0]).toContain('#Given Prompt#:\nSort a list of numbers.\n');
  });
});
