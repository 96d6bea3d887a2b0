// A conversation dataset: rows in open-instruct's `messages` form plus an account of the rows
// that were skipped (bad or incomplete input is counted and reported, never dropped silently).
import { basename } from 'node:path';
import { type BadLine, eachJsonLine as eachLine } from '../io/json.ts';
import type { Message } from './chat.ts';

export interface Conversation {
  /** Where the row came from, e.g. `lima_12` or `gsm8k/train.jsonl:17`. */
  id: string;
  messages: Message[];
  /** Set by instruction/input readers (Alpaca, Dolly): the first user turn is
   *  `instruction` + "\n\n" + `input` (or the instruction alone); the alpaca and none templates
   *  use the parts. */
  fields?: { instruction: string; input: string };
  /** The dataset or task the row came from (the dataset-name template's {dataset}). */
  dataset?: string;
}

export interface Skipped {
  count: number;
  /** Count per reason. */
  reasons: Map<string, number>;
  /** The first few skipped rows, `where: reason`, for the report. */
  examples: string[];
}

export interface Dataset {
  /** What was read (files, task). */
  source: string;
  rows: Conversation[];
  skipped: Skipped;
}

export function newSkipped(): Skipped {
  return { count: 0, reasons: new Map(), examples: [] };
}

export function skip(s: Skipped, where: string, reason: string): void {
  s.count++;
  s.reasons.set(reason, (s.reasons.get(reason) ?? 0) + 1);
  if (s.examples.length < 5) s.examples.push(`${where}: ${reason}`);
}

/** Calls `each` with every non-blank line of a JSONL text, parsed, and where it is (`file:line`);
 *  a line that is not JSON is skipped and counted, or with 'refuse' throws `file:line: invalid
 *  JSON`. `each` returns false to stop early. */
export function eachJsonLine(
  text: string,
  source: string,
  skipped: Skipped | 'refuse',
  each: (row: unknown, where: string) => boolean | void,
): void {
  const bad: BadLine =
    skipped === 'refuse'
      ? (where) => {
          throw new Error(`${where}: invalid JSON`);
        }
      : (where) => skip(skipped, where, 'invalid JSON');
  eachLine(text, basename(source), each, bad);
}

/**
 * A dataset read from a file must have rows: an empty file, or one whose every row was skipped (a
 * file of another format, say), is refused naming the file and what was wrong with its rows,
 * rather than failing later on a symptom (no rows left after the --seq-len cut).
 */
export function requireRows(d: Dataset, expected: string): Dataset {
  if (d.rows.length > 0) return d;
  if (d.skipped.count === 0) throw new Error(`${d.source}: holds no rows (the file is empty; expected ${expected})`);
  const reasons = [...d.skipped.reasons].map(([r, n]) => `${r} ×${n}`).join('; ');
  throw new Error(
    `${d.source}: none of its ${d.skipped.count} rows is usable (${reasons}; e.g. ${d.skipped.examples[0]}); expected ${expected}`,
  );
}

/** One line for logs: `1030 rows from X (skipped 2: no answer ×2)`. */
export function describeDataset(d: Dataset): string {
  const sk =
    d.skipped.count === 0
      ? 'none skipped'
      : `skipped ${d.skipped.count}: ${[...d.skipped.reasons].map(([r, n]) => `${r} ×${n}`).join('; ')}`;
  return `${d.rows.length} rows from ${d.source} (${sk})`;
}

/** Response tuning: the same rows with every user turn emptied (the paper's lima_no_instruction). */
export function emptyUserTurns(d: Dataset): Dataset {
  return {
    source: `${d.source} with user turns emptied`,
    rows: d.rows.map((r) => ({
      id: r.id,
      messages: r.messages.map((m) => (m.role === 'user' ? { role: 'user', content: '' } : { ...m })),
    })),
    skipped: d.skipped,
  };
}
