// The rows of a dataset file, whichever container it uses: a JSON array (Alpaca's own files) or
// JSON Lines (everything else). A line that is not a JSON object is skipped and counted; a JSON
// array that does not parse is refused as a whole (there is no row to blame).
import { eachJsonLine } from '../../io/json.ts';
import { basename } from 'node:path';
import type { Message } from '../chat.ts';
import { type Conversation, type Dataset, newSkipped, skip } from '../dataset.ts';

export type Row = Record<string, unknown>;

export interface RowRecord {
  /** `file:line` (JSONL) or `file[index]` (JSON array). */
  where: string;
  value: unknown;
}

export function splitRecords(text: string, source: string): RowRecord[] {
  const name = basename(source);
  const body = text.replace(/^\ufeff/, '');
  if (body.trimStart().startsWith('[')) {
    let arr: unknown;
    try {
      arr = JSON.parse(body);
    } catch (e) {
      throw new Error(`${source}: starts with "[" but is not a valid JSON array (${e instanceof Error ? e.message : String(e)})`);
    }
    if (!Array.isArray(arr)) throw new Error(`${source}: not a JSON array`);
    return arr.map((value, i) => ({ where: `${name}[${i}]`, value }));
  }
  const out: RowRecord[] = [];
  eachJsonLine(
    body,
    name,
    (value, where) => void out.push({ where, value }),
    (where) => void out.push({ where, value: INVALID_JSON }),
  );
  return out;
}

/** Marks a JSONL line that did not parse (so it is counted where the row readers count skips). */
export const INVALID_JSON: unique symbol = Symbol('invalid JSON');

/** What a row reader returns: the conversation, or why the row is unusable. */
export type RowResult = { messages: Message[]; fields?: { instruction: string; input: string }; dataset?: string; id?: string } | string;

/** Runs a row reader over every record, counting skips by reason. */
export function readRows(text: string, source: string, read: (row: Row) => RowResult): Dataset {
  const rows: Conversation[] = [];
  const skipped = newSkipped();
  for (const { where, value } of splitRecords(text, source)) {
    if (value === INVALID_JSON) {
      skip(skipped, where, 'invalid JSON');
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      skip(skipped, where, 'not a JSON object');
      continue;
    }
    const r = read(value as Row);
    if (typeof r === 'string') skip(skipped, where, r);
    else
      rows.push({
        id: r.id ?? where,
        messages: r.messages,
        ...(r.fields ? { fields: r.fields } : {}),
        ...(r.dataset ? { dataset: r.dataset } : {}),
      });
  }
  return { source, rows, skipped };
}

export const isText = (v: unknown): v is string => typeof v === 'string';
export const nonBlank = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';

/** `instruction` alone, or `instruction` + blank line + `input` (Alpaca's and Dolly's join). */
export function joinInput(instruction: string, input: string): string {
  return input.trim() === '' ? instruction : `${instruction}\n\n${input}`;
}
