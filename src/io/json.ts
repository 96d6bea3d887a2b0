// JSON and JSON Lines on disk: one reader and one atomic writer each, so every file the project
// reads names itself (and the line) in its errors, and every file it writes is either the old
// one or the complete new one.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseJson, readJsonFile, readTextFile, writeTextAtomic } from './files.ts';

export { parseJson, readJsonFile };

/** Writes `text` atomically, creating the parent directory first. */
export function writeTextFileAtomic(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true });
  writeTextAtomic(path, text);
}

/** `value` as indented JSON (2 spaces, a final newline), written atomically. */
export function writeJsonAtomic(path: string, value: unknown): void {
  writeTextFileAtomic(path, `${JSON.stringify(value, null, 2)}\n`);
}

/** Rows as JSON Lines text (one compact JSON value a line, each ending in a newline). */
export function jsonlText(rows: readonly unknown[]): string {
  return rows.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** What to do with a line that is not JSON: throw (the default), or hand it to a callback. */
export type BadLine = 'refuse' | ((where: string, line: string, lineIndex: number, lastLine: boolean) => void);

/**
 * Calls `each` with every non-blank line of a JSONL text, parsed, and where it is (`source:line`).
 * A line that is not JSON throws `name:line: invalid JSON (…)` or goes
 * to `bad`. `each` returns false to stop early.
 */
export function eachJsonLine(text: string, source: string, each: (row: unknown, where: string, lineIndex: number) => boolean | void, bad: BadLine = 'refuse'): void {
  const lines = text.split('\n');
  const last = lines.findLastIndex((l) => l.trim() !== '');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '') continue;
    const where = `${source}:${i + 1}`;
    let row: unknown;
    try {
      row = JSON.parse(line);
    } catch (e) {
      if (bad === 'refuse') throw new Error(`${where}: invalid JSON (${e instanceof Error ? e.message : String(e)})`);
      bad(where, line, i, i === last);
      continue;
    }
    if (each(row, where, i) === false) return;
  }
}

/** Every line of a JSONL file, parsed; a line that is not JSON is refused naming the file and line. */
export function readJsonl(path: string, what = 'JSONL file'): unknown[] {
  const rows: unknown[] = [];
  eachJsonLine(readTextFile(path, what), path, (r) => void rows.push(r));
  return rows;
}
