// File-system access for every reader and writer: errors name the path and say what went wrong in
// words (never a bare "EISDIR"), and writes go to a temporary sibling that is renamed into place
// only when complete, so a failed write (full disk, bad input found midway) leaves nothing behind.
import {
  closeSync,
  readdirSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import type { Stats } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { decodeText } from './text.ts';

const FS_REASONS: Record<string, string> = {
  ENOENT: 'does not exist',
  EISDIR: 'is a directory, not a file',
  ENOTDIR: 'a component of the path is not a directory',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EEXIST: 'already exists',
  ENOTEMPTY: 'is a directory that is not empty',
  EMFILE: 'too many open files',
  EFBIG: 'file too large for the file system',
  ENAMETOOLONG: 'the name is too long',
  ELOOP: 'too many symbolic links',
  EIO: 'input/output error',
};

/** A file-system error in words, without Node's raw "CODE: ..., syscall 'path'" text. */
export function fsReason(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code && FS_REASONS[code]) return FS_REASONS[code];
  if (code) return `system error ${code}`;
  return e instanceof Error ? e.message : String(e);
}

function isFsError(e: unknown): boolean {
  return typeof (e as NodeJS.ErrnoException | undefined)?.code === 'string' && typeof (e as NodeJS.ErrnoException).syscall === 'string';
}

/** Errors from fs calls become "<path>: cannot <action>: <reason>"; other errors pass through. */
export function rethrowFs(e: unknown, path: string, action: string): never {
  if (isFsError(e)) throw new Error(`${path}: cannot ${action}: ${fsReason(e)}`);
  throw e;
}

/** Runs `fn`, prefixing `source` to any error message that does not already name it. */
export function namingErrors<T>(source: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && !e.message.includes(source)) e.message = `${source}: ${e.message}`;
    throw e;
  }
}

function statOrFail(path: string, what: string): Stats {
  try {
    return statSync(path);
  } catch (e) {
    return rethrowFs(e, path, `read the ${what}`);
  }
}

/** The bytes of a regular file; a directory or a missing file is refused with a message naming it. */
export function readFileBytes(path: string, what = 'file'): Uint8Array {
  const st = statOrFail(path, what);
  if (st.isDirectory()) throw new Error(`${path}: is a directory, expected the ${what} (a file)`);
  // a FIFO or device is refused, never read: reading a pipe with no writer blocks forever
  if (!st.isFile())
    throw new Error(
      `${path}: is a ${st.isFIFO() ? 'FIFO (named pipe)' : st.isSocket() ? 'socket' : 'device or other special file'}, expected the ${what} (a regular file)`,
    );
  try {
    return readFileSync(path);
  } catch (e) {
    return rethrowFs(e, path, `read the ${what}`);
  }
}

/** A regular file's text under text.ts's policy (BOM dropped; invalid UTF-8 refused at file:line:byte). */
export function readTextFile(path: string, what = 'file'): string {
  return decodeText(readFileBytes(path, what), path);
}

/** JSON.parse with a message naming the source and never V8's bare "Unexpected end of JSON input". */
export function parseJson(text: string, source: string, what = 'file'): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const at = /at position (\d+)/.exec(msg);
    const atEnd = /Unexpected end/i.test(msg) || (at !== null && Number(at[1]) >= text.trimEnd().length);
    const detail = atEnd ? 'the text ends before the JSON value is complete (truncated?)' : msg;
    throw new Error(`${source}: the ${what} is not valid JSON: ${detail}`);
  }
}

export function readJsonFile(path: string, what = 'JSON file'): unknown {
  return parseJson(readTextFile(path, what), path, what);
}

/** Whether something (file, directory, link) exists at `path`. */
export function pathExists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

let tmpCounter = 0;
/** A sibling name for a temporary (same directory, so rename() is atomic and never crosses devices). */
export function tempSibling(path: string, tag = 'tmp'): string {
  return join(dirname(path), `.${basename(path)}.${tag}-${process.pid}-${Date.now().toString(36)}-${tmpCounter++}`);
}

/** Whether process `pid` is running (EPERM: it is, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Settles what a killed atomic write to `path` left beside it (only names tempSibling makes for
 * this path, by a process that no longer runs, or by this one, which never has two writes to one
 * path in flight): a ".tmp-" temporary is removed; an ".old-" copy (the previous version, moved
 * aside just before the new one was renamed in) is put back if `path` is missing, else removed.
 * Returns what was done, in words. Runs before every atomic write, so litter never accumulates.
 */
export function settleAtomicLeftovers(path: string): string[] {
  const dir = dirname(path);
  const prefix = `.${basename(path)}.`;
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => n.startsWith(prefix));
  } catch {
    return [];
  }
  const done: string[] = [];
  for (const n of names.sort()) {
    const m = /^(tmp|old)-(\d+)-[0-9a-z]+-\d+$/.exec(n.slice(prefix.length));
    if (!m) continue;
    const pid = Number(m[2]);
    if (pid !== process.pid && alive(pid)) continue;
    const p = join(dir, n);
    try {
      if (m[1] === 'old' && !pathExists(path)) {
        renameSync(p, path);
        done.push(`${path}: restored the previous version from ${n} (a write was interrupted)`);
      } else {
        rmSync(p, { recursive: true, force: true });
        done.push(`${path}: removed ${n} left by an interrupted write`);
      }
    } catch {
      // best effort: a leftover that cannot be settled now is retried on the next write
    }
  }
  return done;
}

/**
 * Writes via a temporary sibling + fsync + rename, so `path` is either the complete new file or
 * untouched. The temporary is removed on any error. Refuses to replace a directory with a file.
 */
export function writeFileAtomic(path: string, chunks: readonly Uint8Array[]): void {
  let existing: Stats | undefined;
  try {
    existing = lstatSync(path);
  } catch {
    existing = undefined;
  }
  if (existing?.isDirectory()) throw new Error(`${path}: is a directory; refusing to replace it with a file`);
  settleAtomicLeftovers(path);
  const tmp = tempSibling(path);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    for (const c of chunks) {
      let off = 0;
      while (off < c.length) off += writeSync(fd, c, off, c.length - off);
    }
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(tmp, path);
  } catch (e) {
    if (fd !== undefined) {
      try {
        closeSync(fd);
      } catch {
        // already failing; the original error is the one to report
      }
    }
    rmSync(tmp, { force: true });
    rethrowFs(e, path, 'write');
  }
}

/** writeFileAtomic for UTF-8 text. */
export function writeTextAtomic(path: string, text: string): void {
  writeFileAtomic(path, [new TextEncoder().encode(text)]);
}

/**
 * Builds a directory atomically: `fill` writes into a fresh temporary sibling, which then replaces
 * `dir` (an existing entry is moved aside first and removed only after the new one is in place;
 * put back if that rename fails). On any error the temporary is removed and `dir` is as it was.
 */
export function writeDirAtomic<T>(dir: string, fill: (tmpDir: string) => T): T {
  settleAtomicLeftovers(dir);
  const tmp = tempSibling(dir);
  const old = tempSibling(dir, 'old');
  let movedAside = false;
  try {
    mkdirSync(tmp);
    const result = fill(tmp);
    if (pathExists(dir)) {
      renameSync(dir, old);
      movedAside = true;
    }
    renameSync(tmp, dir);
    if (movedAside) rmSync(old, { recursive: true, force: true });
    return result;
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (movedAside && !pathExists(dir)) renameSync(old, dir);
    // errors from inside `fill` name files under the temporary; name the real output instead
    if (e instanceof Error && !isFsError(e)) e.message = e.message.replaceAll(tmp, dir);
    return rethrowFs(e, dir, 'write');
  }
}

/** Ensures the parent directory of an output path exists and is a directory. */
export function checkOutputParent(path: string): void {
  const parent = dirname(path);
  let st: Stats;
  try {
    st = statSync(parent);
  } catch (e) {
    return rethrowFs(e, path, 'write (its parent directory)');
  }
  if (!st.isDirectory()) throw new Error(`${path}: cannot write: ${parent} is not a directory`);
}
