// Format readers: real Alpaca rows (../shared/data/alpaca) and hand-made fixtures for the others,
// malformed rows included (each skip counted under its reason).
import { describe, expect, it } from 'vitest';
import { bestReply, messagesLine, parseFormat, readFormat } from '../../src/data/formats/index.ts';
import { parseMessagesJsonl } from '../../src/data/messages.ts';
import { gsmAnswerOnly, gsmTask } from '../../src/data/singleTask.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

const fixture = (f: string) => new URL(`../fixtures/data/${f}`, import.meta.url).pathname;
const reasons = (d: { skipped: { reasons: Map<string, number> } }) => Object.fromEntries(d.skipped.reasons);

describe('alpaca (real rows)', () => {
  const d = readFormat('alpaca', dataPath('alpaca', 'alpaca_sample2000.json'));
  it('reads all 2,000 rows; 753 carry an input', () => {
    expect(d.rows).toHaveLength(2000);
    expect(d.skipped.count).toBe(0);
    expect(d.rows.filter((r) => r.fields!.input !== '')).toHaveLength(753);
  });
  it('appends the input after a blank line; keeps the parts and the dataset name', () => {
    expect(d.rows[0]).toEqual({
      id: 'alpaca_sample2000.json[0]',
      messages: [
        { role: 'user', content: 'Check if the following Facebook post is appropriate\n\nI think my boss is the meanest person ever.' },
        { role: 'assistant', content: 'no' },
      ],
      fields: { instruction: 'Check if the following Facebook post is appropriate', input: 'I think my boss is the meanest person ever.' },
      dataset: 'alpaca',
    });
    expect(d.rows[1]!.messages[0]!.content).toBe('Construct a riddle about the outdoors.');
  });
  it('JSONL works too, and malformed rows are counted', () => {
    const text = [
      '{"instruction": "Add", "input": "2, 3", "output": "5"}',
      '{"instruction": "No output", "input": ""}',
      '{"instruction": "Bad input", "input": ["x"], "output": "y"}',
      '{"instruction": "  ", "output": "y"}',
      '{"instruction": "No input key", "output": "fine"}',
      '{oops',
    ].join('\n');
    const a = parseFormat('alpaca', text, 'a.jsonl');
    expect(a.rows.map((r) => r.messages[0]!.content)).toEqual(['Add\n\n2, 3', 'No input key']);
    expect(reasons(a)).toEqual({ 'no "output" text': 1, '"input" is not a string': 1, 'no "instruction" text': 1, 'invalid JSON': 1 });
    expect(a.skipped.examples[0]).toBe('a.jsonl:2: no "output" text');
  });
  it('a broken JSON array is refused as a whole, naming the file', () => {
    expect(() => parseFormat('alpaca', '[{"instruction": 1},', 'x.json')).toThrow(
      /x\.json: starts with "\[" but is not a valid JSON array/,
    );
  });
});

describe('dolly', () => {
  const d = readFormat('dolly', fixture('dolly.jsonl'));
  it('maps instruction + context; the category is the dataset name', () => {
    expect(d.rows).toHaveLength(2);
    expect(d.rows[0]!.messages).toEqual([
      {
        role: 'user',
        content: 'When did Virgin Australia start operating?\n\nVirgin Australia commenced services on 31 August 2000 as Virgin Blue.',
      },
      { role: 'assistant', content: 'Virgin Australia commenced services on 31 August 2000.' },
    ]);
    expect(d.rows[0]!.dataset).toBe('closed_qa');
    expect(d.rows[1]!.messages[0]!.content).toBe('Which is a species of fish? Tope or Rope');
  });
  it('counts each malformed row', () => {
    expect(reasons(d)).toEqual({
      'no "instruction" text': 1,
      '"context" is not a string': 1,
      'no "response" text': 1,
      'no "category"': 1,
      'invalid JSON': 1,
      'not a JSON object': 1,
    });
  });
});

describe('sharegpt / openai messages', () => {
  const d = readFormat('sharegpt', fixture('sharegpt.jsonl'));
  it('maps from/value speakers and OpenAI messages; keeps ids', () => {
    expect(d.rows).toHaveLength(2);
    expect(d.rows[0]!.id).toBe('sg-1');
    expect(d.rows[0]!.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user', 'assistant']);
    expect(d.rows[0]!.messages[4]).toEqual({ role: 'assistant', content: 'Goodbye.' });
    expect(d.rows[1]!.messages).toEqual([
      { role: 'user', content: '2+2?' },
      { role: 'assistant', content: '4' },
    ]);
  });
  it('counts each malformed row', () => {
    expect(reasons(d)).toEqual({
      'no assistant turn': 1,
      'turn 0 has "from" "alien"': 1,
      'turn 0 has no string "value"': 1,
      'empty "conversations"': 1,
      'message 0 has role "tool"': 1,
      'both "messages" and "conversations"': 1,
      'no "messages" or "conversations" array': 1,
    });
  });
});

describe('oasst trees', () => {
  const d = readFormat('oasst', fixture('oasst.jsonl'));
  it('follows the best-ranked undeleted reply at each level', () => {
    expect(d.rows[0]).toEqual({
      id: 't1',
      dataset: 'oasst',
      messages: [
        { role: 'user', content: 'What is a llama?' },
        { role: 'assistant', content: 'A South American camelid.' },
        { role: 'user', content: 'Do they spit?' },
        { role: 'assistant', content: 'Sometimes, when annoyed.' },
      ],
    });
  });
  it('a path ending on a prompter drops that turn', () => {
    expect(d.rows[1]!.id).toBe('t6');
    expect(d.rows[1]!.messages).toEqual([
      { role: 'user', content: 'Q' },
      { role: 'assistant', content: 'A' },
    ]);
  });
  it('counts unanswered, non-alternating, deleted-only and prompt-less trees', () => {
    expect(d.rows).toHaveLength(2);
    expect(reasons(d)).toEqual({
      'the prompt has no (undeleted) assistant reply': 2,
      'message at depth 2 is "assistant", expected "prompter" (roles must alternate)': 1,
      'no "prompt" message object': 1,
    });
  });
  it('bestReply: rank 0 first, unranked last, ties in file order, deleted never', () => {
    expect(bestReply([{ text: 'u' }, { text: 'b', rank: 1 }, { text: 'a', rank: 1 }])!.text).toBe('b');
    expect(bestReply([{ text: 'u' }, { text: 'v' }])!.text).toBe('u');
    expect(bestReply([{ text: 'd', rank: 0, deleted: true }])).toBeUndefined();
  });
});

describe('prompt-completion', () => {
  const d = readFormat('prompt-completion', fixture('prompt-completion.jsonl'));
  it('maps pairs; an empty prompt is kept (response tuning)', () => {
    expect(d.rows.map((r) => r.messages)).toEqual([
      [
        { role: 'user', content: 'Translate to French: cat' },
        { role: 'assistant', content: 'chat' },
      ],
      [
        { role: 'user', content: '' },
        { role: 'assistant', content: 'A response with no instruction.' },
      ],
    ]);
    expect(reasons(d)).toEqual({ 'no "completion" text': 2, 'no string "prompt"': 1 });
  });
});

describe('the JSONL heed writes', () => {
  it('is {"id", "messages"} with role/content only, and reads back through the messages reader', () => {
    const d = readFormat('alpaca', dataPath('alpaca', 'alpaca_sample2000.json'));
    const line = messagesLine(d.rows[0]!);
    expect(line).toBe(
      '{"id":"alpaca_sample2000.json[0]","messages":[{"role":"user","content":"Check if the following Facebook post is appropriate\\n\\nI think my boss is the meanest person ever."},{"role":"assistant","content":"no"}]}',
    );
    const back = parseMessagesJsonl(d.rows.slice(0, 50).map(messagesLine).join('\n'), 'back.jsonl');
    expect(back.skipped.count).toBe(0);
    expect(back.rows.map((r) => [r.id, r.messages])).toEqual(d.rows.slice(0, 50).map((r) => [r.id, r.messages]));
  });
});

describe('GSM8K chain-of-thought vs answer-only', () => {
  it('cot (default) keeps the rationale; answer keeps the "#### N" line alone', () => {
    const cot = gsmTask({ limit: 3 });
    const ans = gsmTask({ limit: 3, gsmFormat: 'answer' });
    expect(cot.rows[0]!.messages[1]!.content).toBe(gsmTask({ limit: 3, gsmFormat: 'cot' }).rows[0]!.messages[1]!.content);
    expect(cot.rows[0]!.messages[1]!.content).toMatch(/^Natalia sold 48\/2 = <<48\/2=24>>24 clips in May\.\n[\s\S]*\n#### 72$/);
    expect(ans.rows.map((r) => r.messages[1]!.content)).toEqual(['#### 72', '#### 10', '#### 5']);
    expect(ans.rows.map((r) => r.messages[0])).toEqual(cot.rows.map((r) => r.messages[0]));
  });
  it('gsmAnswerOnly refuses an answer without "#### N"; an unknown format is refused', () => {
    expect(gsmAnswerOnly('a\nb\n#### 1,000 ')).toBe('#### 1,000');
    expect(() => gsmAnswerOnly('no marker')).toThrow('does not end in "#### N"');
    expect(() => gsmTask({ gsmFormat: 'short' as never })).toThrow('GSM8K format must be cot or answer, got "short"');
  });
});
