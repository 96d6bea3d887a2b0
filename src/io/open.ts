// The one opener for file and directory arguments (--data, --in, --responses, --template,
// --model-outputs, --out, ...): each path is checked for what it must be before anything reads or
// writes it, and refused in words naming the argument and the path (never Node's EISDIR/ENOENT):
// a directory where a file is wanted or the reverse, a missing path, a FIFO, device or socket
// (refused without being read, so a pipe with no writer cannot hang a command), a path under a
// regular file, an output directory that exists as a file.
// Text inputs are decoded by text.ts's one policy (BOM dropped, invalid UTF-8 refused at
// file:line:byte).
import { closeSync, constants, fstatSync, lstatSync, mkdirSync, openSync, readFileSync, statSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fsReason } from './files.ts';
import { decodeText } from './text.ts';

export { decodeText, firstInvalidUtf8 } from './text.ts';

/** What a path is, in words for a message ('missing' when nothing is there). */
export type PathKind = 'file' | 'directory' | 'FIFO (named pipe)' | 'character device' | 'block device' | 'socket' | 'missing' | 'other';

export function kindOf(st: Stats): PathKind {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isFIFO()) return 'FIFO (named pipe)';
  if (st.isCharacterDevice()) return 'character device';
  if (st.isBlockDevice()) return 'block device';
  if (st.isSocket()) return 'socket';
  return 'other';
}

/** "--data /x/y" or "data file /x/y": how a message names the argument and the path. */
function named(path: string, arg: string): string {
  return arg ? `${arg} ${path}` : path;
}

/** The nearest ancestor of a missing path that exists but is not a directory (ENOTDIR's cause). */
function fileAncestor(path: string): string | undefined {
  let p = dirname(resolve(path));
  for (;;) {
    try {
      return statSync(p).isDirectory() ? undefined : p;
    } catch {
      const up = dirname(p);
      if (up === p) return undefined;
      p = up;
    }
  }
}

/** Why `path` cannot be looked at, in words; ENOTDIR names the file in the way. */
function statFailure(e: unknown, path: string): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'ENOENT') return 'does not exist';
  if (code === 'ENOTDIR') {
    const f = fileAncestor(path);
    return f ? `cannot exist: ${f} is a file, not a directory` : 'a component of the path is not a directory';
  }
  return fsReason(e);
}

/** The stat of an existing path (symlinks followed), or a refusal naming the argument. */
function statArg(path: string, arg: string): Stats {
  if (path === '') throw new Error(`${arg}: the path is empty`);
  try {
    return statSync(path);
  } catch (e) {
    throw new Error(`${named(path, arg)}: ${statFailure(e, path)}`);
  }
}

function refuseKind(path: string, arg: string, kind: PathKind, want: 'a file' | 'a directory'): never {
  const special = kind !== 'file' && kind !== 'directory';
  throw new Error(
    `${named(path, arg)}: is a ${kind}, not ${want}${special ? ' (refused without reading it: it could block forever or never end)' : ''}`,
  );
}

/** An existing regular file (symlinks followed), else a refusal naming `arg` and the path. */
export function inputFile(path: string, arg: string): string {
  const kind = kindOf(statArg(path, arg));
  if (kind !== 'file') refuseKind(path, arg, kind, 'a file');
  return path;
}

/**
 * For an optional input (a log a fresh run has not written yet): false when nothing is there,
 * true when something is (inputFile then judges it); a path that cannot exist (under a file) is
 * refused, since the writer would fail later with less clear words.
 */
export function optionalInput(path: string, arg: string): boolean {
  if (path === '') throw new Error(`${arg}: the path is empty`);
  try {
    statSync(path);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOENT' && !fileAncestor(path)) return isLink(path);
    throw new Error(`${named(path, arg)}: ${statFailure(e, path)}`);
  }
}

/** An existing directory, else a refusal naming `arg` and the path. */
export function inputDir(path: string, arg: string): string {
  const kind = kindOf(statArg(path, arg));
  if (kind !== 'directory') refuseKind(path, arg, kind, 'a directory');
  return path;
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** What is at an output path (symlinks followed; 'missing' if nothing). */
function existing(path: string, arg: string): PathKind {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ENOTDIR') return 'missing'; // a file where a parent directory belongs: outputParent names it
    if (code !== 'ENOENT') throw new Error(`${named(path, arg)}: ${statFailure(e, path)}`);
    // a dangling symlink: writing through it would create a file somewhere unexpected
    if (isLink(path)) throw new Error(`${named(path, arg)}: is a symbolic link to a path that does not exist`);
    return 'missing';
  }
  return kindOf(st);
}

/** The parent of an output must be a directory (created when `create`, unless a file is in the way). */
function outputParent(path: string, arg: string, create: boolean): void {
  const parent = dirname(resolve(path));
  const blocker = fileAncestor(path);
  if (blocker) throw new Error(`${named(path, arg)}: cannot be created: ${blocker} is a file, not a directory`);
  let isDir = false;
  try {
    isDir = statSync(parent).isDirectory();
  } catch {
    isDir = false;
  }
  if (isDir) return;
  if (!create) throw new Error(`${named(path, arg)}: cannot be created: its directory ${parent} does not exist`);
  try {
    mkdirSync(parent, { recursive: true });
  } catch (e) {
    throw new Error(`${named(path, arg)}: cannot create its directory ${parent}: ${fsReason(e)}`);
  }
}

/**
 * An output file: absent or a regular file (replaced atomically by the writer); its directory is
 * created when missing (`createParent`, default true). A directory or special file there, or a
 * file where a parent directory should be, is refused naming `arg`.
 */
export function outputFile(path: string, arg: string, opts: { createParent?: boolean } = {}): string {
  if (path === '') throw new Error(`${arg}: the path is empty`);
  const kind = existing(path, arg);
  if (kind !== 'missing' && kind !== 'file') refuseKind(path, arg, kind, 'a file');
  outputParent(path, arg, opts.createParent ?? true);
  return path;
}

/**
 * An output directory: absent (created, with its parents) or an existing directory; a file there
 * is refused. With `create: false` only checked (a command validating its arguments up front,
 * before it has anything to write).
 */
export function outputDir(path: string, arg: string, opts: { create?: boolean } = {}): string {
  if (path === '') throw new Error(`${arg}: the path is empty`);
  const kind = existing(path, arg);
  if (kind === 'directory') return path;
  if (kind !== 'missing')
    throw new Error(`${named(path, arg)}: exists and is a ${kind}, not a directory; choose another ${arg.startsWith('-') ? arg : 'path'}`);
  const blocker = fileAncestor(path);
  if (blocker) throw new Error(`${named(path, arg)}: cannot be created: ${blocker} is a file, not a directory`);
  if (opts.create === false) return path;
  outputParent(path, arg, true);
  try {
    mkdirSync(path, { recursive: true });
  } catch (e) {
    throw new Error(`${named(path, arg)}: cannot create the directory: ${fsReason(e)}`);
  }
  return path;
}

/**
 * The bytes of an input file. The file is opened without blocking and checked on the open
 * descriptor, so a FIFO (or a path swapped for one after a check) is refused, never waited on.
 */
export function readInputBytes(path: string, arg: string): Uint8Array {
  inputFile(path, arg);
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (e) {
    throw new Error(`${named(path, arg)}: cannot be opened: ${statFailure(e, path)}`);
  }
  try {
    const kind = kindOf(fstatSync(fd));
    if (kind !== 'file') refuseKind(path, arg, kind, 'a file');
    return readFileSync(fd);
  } catch (e) {
    if (e instanceof Error && e.message.startsWith(named(path, arg))) throw e;
    throw new Error(`${named(path, arg)}: cannot be read: ${fsReason(e)}`);
  } finally {
    closeSync(fd);
  }
}

/** An input file's text: inputFile's checks, then decodeText's policy. */
export function readInputText(path: string, arg: string): string {
  return decodeText(readInputBytes(path, arg), path);
}
