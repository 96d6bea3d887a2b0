// JSON and JSON Lines on disk: one reader and one atomic writer each, so every file the project
// reads names itself (and the line) in its errors, and every file it writes is either the old
// one or the complete new one. The readers go through open.ts's opener and text.ts's policy:
// a directory, FIFO, device or missing path is refused naming the argument, a BOM is dropped and
// invalid UTF-8 is refused at file:line:byte. (files.ts's readJsonFile is the checkpoint readers'
// own, with their words for a bad path.) Append-only logs a run resumes from are read with
// appendLog.ts's readAppendLog instead, which repairs a torn last line.
import { parseJson, writeTextAtomic } from './files.ts';
import { outputFile, readInputText } from './open.ts';

export { parseJson };

/** A JSON file, parsed; `what` names it in every refusal (bad path, bad bytes, not JSON). */
export function readJsonFile(path: string, what = 'JSON file'): unknown {
  return parseJson(readInputText(path, what), path, what);
}

/**
 * Writes `text` atomically, creating the parent directory first; a directory or special file in
 * the way, or a file where a parent directory belongs, is refused in words (open.ts's outputFile).
 */
export function writeTextFileAtomic(path: string, text: string): void {
  outputFile(path, 'output file');
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
export function eachJsonLine(
  text: string,
  source: string,
  each: (row: unknown, where: string, lineIndex: number) => boolean | void,
  bad: BadLine = 'refuse',
): void {
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

/** eachJsonLine over a JSONL file read as readJsonFile reads (a line that is not JSON is refused). */
export function eachJsonlRow(path: string, what: string, each: (row: unknown, where: string, lineIndex: number) => boolean | void): void {
  eachJsonLine(readInputText(path, what), path, each);
}

/** Every line of a JSONL file, parsed; a line that is not JSON is refused naming the file and line. */
export function readJsonl(path: string, what = 'JSONL file'): unknown[] {
  const rows: unknown[] = [];
  eachJsonlRow(path, what, (r) => void rows.push(r));
  return rows;
}
