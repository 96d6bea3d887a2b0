// `heed data convert --from NAME`: every source format onto heed's `messages` rows.
import { readInputText } from '../../io/open.ts';
import { type Dataset, requireRows } from '../dataset.ts';
import { alpacaRow } from './alpaca.ts';
import { dollyRow } from './dolly.ts';
import { bestReply, oasstRow } from './oasst.ts';
import { promptCompletionRow } from './promptCompletion.ts';
import { type Row, type RowResult, readRows } from './records.ts';
import { sharegptRow } from './sharegpt.ts';

export const FORMATS = ['alpaca', 'dolly', 'sharegpt', 'oasst', 'prompt-completion'] as const;
export type Format = (typeof FORMATS)[number];

const READERS: Record<Format, (r: Row) => RowResult> = {
  alpaca: alpacaRow,
  dolly: dollyRow,
  sharegpt: sharegptRow,
  oasst: oasstRow,
  'prompt-completion': promptCompletionRow,
};

export function isFormat(s: string | undefined): s is Format {
  return (FORMATS as readonly string[]).includes(s ?? '');
}

/** Parses a file's text in the given format (JSON array or JSONL). */
export function parseFormat(format: Format, text: string, source: string): Dataset {
  const read = Object.hasOwn(READERS, format) ? READERS[format] : undefined;
  if (!read) throw new Error(`unknown data format ${JSON.stringify(format)} (choose ${FORMATS.join(', ')})`);
  return readRows(text, source, read);
}

export function readFormat(format: Format, path: string): Dataset {
  return requireRows(parseFormat(format, readInputText(path, 'data file'), path), `rows in the ${format} format`);
}

/** The JSONL line heed writes for a row: `{"messages": [...]}` (plus the id). */
export function messagesLine(row: Dataset['rows'][number]): string {
  return JSON.stringify({ id: row.id, messages: row.messages.map((m) => ({ role: m.role, content: m.content })) });
}

export { alpacaRow, bestReply, dollyRow, oasstRow, promptCompletionRow, sharegptRow };
