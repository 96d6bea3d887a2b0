// Append-only JSONL files that a run resumes from (a trainer's log.jsonl, a judge's cache): each
// record is one line written by one append. A crash or power loss can cut the last append short
// (or leave it without its newline, or as zero bytes), so the bytes after the last newline are a
// torn record: the file is truncated to its last complete line and the caller is told, instead of
// the next resume failing on "Unterminated string in JSON" or the next append joining two records.
// Any other line that is not JSON is corruption and is refused naming file:line.
import { truncateSync } from 'node:fs';
import { fsReason, parseJson } from './files.ts';
import { decodeText, optionalInput, readInputBytes } from './open.ts';

export interface AppendLog {
  /** The parsed records, in order, with their 1-based line numbers. */
  records: { value: unknown; line: number }[];
  /** Set when a torn last line was cut off: what was removed, for the caller to report. */
  repaired?: string;
}

/**
 * Reads an append-only JSONL file (a missing file has no records), repairing a torn last line by
 * truncating the file to the end of its last complete line. With `repair: false` (a reader that
 * must not change the file, e.g. a report over a run that may still be appending) the torn line
 * is only left out.
 */
export function readAppendLog(path: string, what: string, opts: { repair?: boolean } = {}): AppendLog {
  if (!optionalInput(path, what)) return { records: [] };
  let bytes = readInputBytes(path, what);
  let repaired: string | undefined;
  const end = bytes.lastIndexOf(0x0a) + 1;
  if (end < bytes.length) {
    const torn = bytes.length - end;
    if (opts.repair ?? true) {
      try {
        truncateSync(path, end);
      } catch (e) {
        throw new Error(`${path}: its last line is torn (${torn} bytes after the last newline) and it cannot be repaired: ${fsReason(e)}`);
      }
      repaired = `${path}: removed a torn last line (${torn} bytes after the last complete line, cut short by a crash or power loss)`;
    } else repaired = `${path}: left out an incomplete last line (${torn} bytes after the last complete line)`;
    bytes = bytes.subarray(0, end);
  }
  const records: AppendLog['records'] = [];
  decodeText(bytes, path)
    .split('\n')
    .forEach((text, i) => {
      if (text.trim() === '') return;
      records.push({ value: parseJson(text, `${path}:${i + 1}`, `${what} line`), line: i + 1 });
    });
  return repaired === undefined ? { records } : { records, repaired };
}
