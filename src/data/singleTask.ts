// The paper's single-task datasets (implicit-ins data/processed/*/make_*.py), built from the raw
// files under the data root: each row becomes [user: prompt, assistant: target].
//   gsm      gsm8k/train.jsonl, first 1,000 rows: question → answer (ends in "#### N")
//   mbpp     mbpp/mbpp.jsonl, train split (task_ids 601–974, 374 rows): text → code
//   poetry   poetry-public-domain CSV: "Write a poem called {title}" → poem
//   recipes  recipes-epicurious CSV, 1,000 rows by original index: "Recipe for {Title}" →
//            " - {ingredient}\n" lines + "\n\n" + Instructions (make_kfr.py's format)
//   chess    chess-pgn-lichess/*.pgn, 1,000 games: '[WhiteElo "…"]\n[BlackElo "…"]\n' → movetext
import { readdirSync } from 'node:fs';
import { readInputText } from '../io/open.ts';
import { basename, join } from 'node:path';
import { dataPath } from '../util/dataRoot.ts';
import type { Message } from './chat.ts';
import { csvRecords, parsePyStringList } from './csv.ts';
import { type Conversation, type Dataset, type Skipped, eachJsonLine, newSkipped, skip } from './dataset.ts';

export const TASKS = ['gsm', 'mbpp', 'poetry', 'recipes', 'chess'] as const;
export type Task = (typeof TASKS)[number];

export interface TaskOptions {
  /** Row limit (default: the paper's: gsm/recipes/chess 1,000, mbpp the whole train split, poetry all). */
  limit?: number;
  /** Poetry: keep poems of at most this many characters (small context windows). */
  maxChars?: number;
  /** GSM8K: `cot` (the paper's: rationale then "#### N") or `answer` (the "#### N" line alone). */
  gsmFormat?: GsmFormat;
}

export const GSM_FORMATS = ['cot', 'answer'] as const;
export type GsmFormat = (typeof GSM_FORMATS)[number];

/** The answer-only target of a GSM8K answer: its final "#### N" line. */
export function gsmAnswerOnly(answer: string): string {
  const m = /\n(#### [^\n]+)$/.exec(answer.trimEnd());
  if (!m) throw new Error(`GSM8K answer does not end in "#### N": ${JSON.stringify(answer.slice(-40))}`);
  return m[1]!;
}

const pair = (user: string, assistant: string): Message[] => [
  { role: 'user', content: user },
  { role: 'assistant', content: assistant },
];

function jsonl(path: string, skipped: Skipped, each: (row: Record<string, unknown>, where: string) => void): void {
  eachJsonLine(readInputText(path, 'task data file'), path, skipped, (row, where) => {
    if (!row || typeof row !== 'object' || Array.isArray(row)) skip(skipped, where, 'not a JSON object');
    else each(row as Record<string, unknown>, where);
  });
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

export function gsmTask(opts: TaskOptions = {}): Dataset {
  const path = dataPath('gsm8k', 'train.jsonl');
  const limit = opts.limit ?? 1000;
  const format = opts.gsmFormat ?? 'cot';
  if (!GSM_FORMATS.includes(format)) throw new Error(`GSM8K format must be ${GSM_FORMATS.join(' or ')}, got ${JSON.stringify(format)}`);
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  jsonl(path, skipped, (r, where) => {
    if (rows.length + skipped.count >= limit) return; // the first `limit` rows of the file
    if (!nonEmpty(r.question)) return skip(skipped, where, 'no question');
    if (!nonEmpty(r.answer) || !/\n#### [^\n]+$/.test(r.answer.trimEnd())) return skip(skipped, where, 'answer does not end in "#### N"');
    rows.push({ id: where, messages: pair(r.question, format === 'answer' ? gsmAnswerOnly(r.answer) : r.answer) });
  });
  return { source: `${path} (first ${limit} rows${format === 'answer' ? ', answer only' : ''})`, rows, skipped };
}

export function mbppTask(opts: TaskOptions = {}): Dataset {
  const path = dataPath('mbpp', 'mbpp.jsonl');
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  jsonl(path, skipped, (r, where) => {
    const id = r.task_id;
    if (typeof id !== 'number' || !Number.isInteger(id)) return skip(skipped, where, 'no integer task_id');
    if (id < 601 || id > 974) return; // not the train split: not a skip
    if (!nonEmpty(r.text)) return skip(skipped, where, 'no text');
    if (!nonEmpty(r.code)) return skip(skipped, where, 'no code');
    rows.push({ id: `mbpp/${id}`, messages: pair(r.text, r.code) });
  });
  return { source: `${path} (train split, task_ids 601-974)`, rows: rows.slice(0, opts.limit ?? rows.length), skipped };
}

export function poetryTask(opts: TaskOptions = {}): Dataset {
  const path = dataPath('poetry-public-domain', 'poetry-evaluation_public-domain-poems.csv');
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  csvRecords(readInputText(path, 'task data file'), path).forEach((r, i) => {
    const where = `${basename(path)} record ${i + 1}`;
    if (!nonEmpty(r.poem_title)) return skip(skipped, where, 'no poem_title');
    if (!nonEmpty(r.poem_text)) return skip(skipped, where, 'no poem_text');
    if (opts.maxChars !== undefined && r.poem_text.length > opts.maxChars)
      return skip(skipped, where, `poem longer than ${opts.maxChars} characters`);
    rows.push({ id: where, messages: pair(`Write a poem called ${r.poem_title}`, r.poem_text) });
  });
  return { source: path, rows: rows.slice(0, opts.limit ?? rows.length), skipped };
}

/** make_kfr.py's assistant text. */
export function recipeText(ingredients: readonly string[], instructions: string): string {
  return `${ingredients.map((x) => ` - ${x}\n`).join('')}\n\n${instructions}`;
}

export function recipesTask(opts: TaskOptions = {}): Dataset {
  const path = dataPath('recipes-epicurious', '13k-recipes-sample2000.csv');
  const limit = opts.limit ?? 1000;
  const skipped = newSkipped();
  const rows: (Conversation & { index: number })[] = [];
  csvRecords(readInputText(path, 'task data file'), path).forEach((r, i) => {
    const where = `${basename(path)} record ${i + 1}`;
    const index = Number(r['Unnamed: 0']);
    if (!Number.isInteger(index)) return skip(skipped, where, 'no original index');
    if (!nonEmpty(r.Title)) return skip(skipped, where, 'no Title');
    if (!nonEmpty(r.Instructions)) return skip(skipped, where, 'no Instructions');
    const ings = parsePyStringList(r.Cleaned_Ingredients ?? '');
    if (!ings || ings.length === 0) return skip(skipped, where, 'Cleaned_Ingredients is not a non-empty list of strings');
    rows.push({ id: `recipes/${index}`, index, messages: pair(`Recipe for ${r.Title}`, recipeText(ings, r.Instructions)) });
  });
  rows.sort((a, b) => a.index - b.index);
  return {
    source: `${path} (first ${limit} by original index)`,
    rows: rows.slice(0, limit).map(({ id, messages }) => ({ id, messages })),
    skipped,
  };
}

/** Games of a PGN text: tag lines, a blank line, movetext. */
export function parsePgn(text: string): { tags: Map<string, string>; tagLines: Map<string, string>; moves: string; line: number }[] {
  const games: { tags: Map<string, string>; tagLines: Map<string, string>; moves: string; line: number }[] = [];
  let cur: (typeof games)[number] | null = null;
  text.split(/\r?\n/).forEach((l, i) => {
    const tag = /^\[(\w+) "(.*)"\]\s*$/.exec(l);
    if (tag) {
      if (cur?.moves !== '') {
        cur = { tags: new Map(), tagLines: new Map(), moves: '', line: i + 1 };
        games.push(cur);
      }
      cur.tags.set(tag[1]!, tag[2]!);
      cur.tagLines.set(tag[1]!, l.trimEnd());
    } else if (l.trim() !== '' && cur) cur.moves = cur.moves ? `${cur.moves} ${l.trim()}` : l.trim();
  });
  return games;
}

export function chessTask(opts: TaskOptions = {}): Dataset {
  const dir = dataPath('chess-pgn-lichess');
  const limit = opts.limit ?? 1000;
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.pgn'))
    .sort();
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  for (const f of files) {
    for (const g of parsePgn(readInputText(join(dir, f), 'task data file'))) {
      if (rows.length >= limit) break;
      const where = `${f}:${g.line}`;
      const w = g.tagLines.get('WhiteElo');
      const b = g.tagLines.get('BlackElo');
      if (!w || !b) skip(skipped, where, 'no WhiteElo/BlackElo tag');
      else if (!/^1\. /.test(g.moves)) skip(skipped, where, 'no movetext');
      else rows.push({ id: where, messages: pair(`${w}\n${b}\n`, g.moves) });
    }
  }
  return { source: `${dir}/{${files.join(',')}} (first ${limit} games)`, rows, skipped };
}

export function singleTask(task: Task, opts: TaskOptions = {}): Dataset {
  switch (task) {
    case 'gsm':
      return gsmTask(opts);
    case 'mbpp':
      return mbppTask(opts);
    case 'poetry':
      return poetryTask(opts);
    case 'recipes':
      return recipesTask(opts);
    case 'chess':
      return chessTask(opts);
    default:
      throw new Error(`unknown task ${JSON.stringify(task)} (choose ${TASKS.join(', ')})`);
  }
}
