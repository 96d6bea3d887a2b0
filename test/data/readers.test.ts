// Readers on the real files: LIMA (and the response-tuning transform against the paper's own
// lima_no_instruction.jsonl), every single-task builder, the pretraining corpus; CSV and Python
// list parsing on hand-made cases.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { csvRecords, parseCsv, parsePyStringList } from '../../src/data/csv.ts';
import { describeDataset, emptyUserTurns } from '../../src/data/dataset.ts';
import { parseMessagesJsonl, readMessagesJsonl } from '../../src/data/messages.ts';
import { readCorpus } from '../../src/data/pretrain.ts';
import { chessTask, gsmTask, mbppTask, parsePgn, poetryTask, recipeText, recipesTask, singleTask } from '../../src/data/singleTask.ts';
import { dataPath } from '../../src/util/dataRoot.ts';

describe('LIMA', () => {
  const lima = readMessagesJsonl(dataPath('lima-implicit-ins', 'lima_data.jsonl'));
  it('reads 1,030 rows, 30 multi-turn, none skipped', () => {
    expect(lima.rows).toHaveLength(1030);
    expect(lima.skipped.count).toBe(0);
    expect(lima.rows.filter((r) => r.messages.length > 2)).toHaveLength(30);
    expect(lima.rows[0]!.id).toBe('lima_0');
    expect(lima.rows[0]!.messages[0]!.content).toMatch(/^Can brain cells move\?/);
  });
  it('emptying user turns reproduces lima_no_instruction.jsonl exactly', () => {
    const ours = emptyUserTurns(lima);
    const theirs = readMessagesJsonl(dataPath('lima-implicit-ins', 'lima_no_instruction.jsonl'));
    expect(ours.rows.map((r) => r.messages)).toEqual(theirs.rows.map((r) => r.messages));
    expect(lima.rows[0]!.messages[0]!.content).not.toBe(''); // the input is not modified
  });
  it('skips and counts bad rows, naming the line', () => {
    const text = [
      '{"messages": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}',
      'not json',
      '{"messages": []}',
      '{"messages": [{"role": "user", "content": "only a question"}]}',
      '{"messages": [{"role": "robot", "content": "x"}]}',
      '{"messages": [{"role": "assistant", "content": 3}]}',
      '',
    ].join('\n');
    const d = parseMessagesJsonl(text, 'x.jsonl');
    expect(d.rows).toHaveLength(1);
    expect(d.rows[0]!.id).toBe('x.jsonl:1');
    expect(d.skipped.count).toBe(5);
    expect(d.skipped.examples).toEqual([
      'x.jsonl:2: invalid JSON',
      'x.jsonl:3: empty "messages"',
      'x.jsonl:4: no assistant turn',
      'x.jsonl:5: message 0 has role "robot"',
      'x.jsonl:6: message 0 has no string "content"',
    ]);
    expect(describeDataset(d)).toMatch(/^1 rows from x.jsonl \(skipped 5: invalid JSON ×1;/);
  });
});

describe('single-task builders on the real files', () => {
  it('gsm: the first 1,000 train rows, answers ending in #### N', () => {
    const d = gsmTask();
    expect(d.rows).toHaveLength(1000);
    const first = JSON.parse(readFileSync(dataPath('gsm8k', 'train.jsonl'), 'utf8').split('\n')[0]!) as {
      question: string;
      answer: string;
    };
    expect(d.rows[0]!.messages).toEqual([
      { role: 'user', content: first.question },
      { role: 'assistant', content: first.answer },
    ]);
    expect(d.rows[0]!.messages[1]!.content.endsWith('#### 72')).toBe(true);
    expect(d.rows.every((r) => /#### \S+$/.test(r.messages[1]!.content))).toBe(true);
  });
  it('mbpp: the 374 train-split problems (task_ids 601-974)', () => {
    const d = mbppTask();
    expect(d.rows).toHaveLength(374);
    expect(d.rows[0]!.id).toBe('mbpp/601');
    expect(d.rows.at(-1)!.id).toBe('mbpp/974');
    expect(d.rows[0]!.messages[0]!.content).toBe(
      'Write a function to find the longest chain which can be formed from the given set of pairs.',
    );
    expect(d.rows[0]!.messages[1]!.content).toMatch(/^class Pair\(object\): \r\n/);
  });
  it('poetry: every poem as "Write a poem called {title}", with an optional length cap', () => {
    const d = poetryTask();
    expect(d.rows).toHaveLength(1453);
    expect(d.rows[0]!.messages[0]!.content).toBe('Write a poem called The Canterbury Tales: General Prologue');
    expect(d.rows[0]!.messages[1]!.content).toMatch(/^Here bygynneth the Book of the tales of Caunterbury\n\nWhan that Aprille/);
    const short = poetryTask({ maxChars: 2000 });
    expect(short.rows).toHaveLength(1140); // SOURCE.md: 1,140 poems are ≤ 2,000 chars
    expect(short.skipped.count).toBe(313);
  });
  it('recipes: 1,000 rows by original index in make_kfr.py format; empty rows skipped and counted', () => {
    const d = recipesTask();
    expect(d.rows).toHaveLength(1000);
    expect(d.skipped.count).toBe(2);
    expect(d.rows[0]!.id).toBe('recipes/8');
    expect(d.rows[0]!.messages[0]!.content).toBe('Recipe for Instant Pot Lamb Haleem');
    expect(d.rows[0]!.messages[1]!.content).toMatch(
      /^ - ¾ cup assorted dals \(such as chana dal, moong dal, masoor dal, and\/or urad dal\)\n - ¼ cup white jasmine rice/,
    );
    expect(recipeText(['a', 'b'], 'Mix.')).toBe(' - a\n - b\n\n\nMix.');
  });
  it('chess: Elo tag lines → movetext; games without moves skipped and counted', () => {
    const d = chessTask();
    expect(d.rows).toHaveLength(1000);
    expect(d.skipped.count).toBe(4);
    expect(d.rows[0]!.messages[0]!.content).toBe('[WhiteElo "2898"]\n[BlackElo "2778"]\n');
    expect(d.rows[0]!.messages[1]!.content).toMatch(/^1\. d4 Nf6 2\. c4 e6 .* 45\. Kh3 1-0$/);
    const games = parsePgn('[White "a"]\n[WhiteElo "1"]\n\n1. e4 1-0\n\n[White "b"]\n\n0-1\n');
    expect(games.map((g) => [g.tags.get('White'), g.moves])).toEqual([
      ['a', '1. e4 1-0'],
      ['b', '0-1'],
    ]);
  });
  it('refuses an unknown task', () => {
    expect(() => singleTask('knitting' as 'gsm')).toThrow(/unknown task "knitting"/);
  });
});

describe('pretraining corpus', () => {
  it('reads the held-out shard (257 documents)', () => {
    const c = readCorpus([dataPath('pretrain-mix', 'heldout.jsonl.gz')]);
    expect(c.docs).toHaveLength(257);
    expect(c.skipped.count).toBe(0);
    expect(readCorpus([dataPath('pretrain-mix', 'heldout.jsonl.gz')], { maxDocs: 3 }).docs).toHaveLength(3);
  });
});

describe('CSV and Python list literals', () => {
  it('parses quotes, escaped quotes, embedded newlines and CRLF', () => {
    expect(parseCsv('a,b\r\n"x, ""y""","1\n2"\r\n,\n')).toEqual([
      ['a', 'b'],
      ['x, "y"', '1\n2'],
      ['', ''],
    ]);
    expect(csvRecords('h1,h2\nA,B')).toEqual([{ h1: 'A', h2: 'B' }]);
    expect(() => csvRecords('h1,h2\nA', 'f.csv')).toThrow(/f.csv: record 1 has 1 fields, the header has 2/);
    expect(() => parseCsv('a,"open\n', 'f.csv')).toThrow(/f.csv: quoted field opened on line 1 never closes/);
  });
  it('parses Python string lists', () => {
    expect(parsePyStringList(`['a', "b's", 'c\\'d', 'e\\n']`)).toEqual(['a', "b's", "c'd", 'e\n']);
    expect(parsePyStringList('[]')).toEqual([]);
    expect(parsePyStringList("['a' 'b']")).toBeUndefined();
    expect(parsePyStringList("['a'")).toBeUndefined();
    expect(parsePyStringList('nope')).toBeUndefined();
  });
});
