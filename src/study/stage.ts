// Cached stages. A stage's key is a hash of its name, the config fields it reads and the keys of
// the stages it reads from, so a changed input changes every key downstream of it and nothing
// upstream. Each stage owns one directory holding stage.json {key, done, result}:
//   done with the same key   -> served from the cache (its result returned, nothing run);
//   not done, same key       -> an interrupted run: the stage runs again in the same directory and
//                               continues from what it left there (training checkpoint, partial
//                               model_outputs.json);
//   a different key          -> the directory is cleared and the stage runs from scratch.
// Paths in a result that lie inside the stage's directory are recorded relative to it (listed in
// stage.json's "relative") and resolved against the directory it is read from, so a study can be
// moved or copied elsewhere and resumed.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { readJsonFile, writeJsonAtomic } from '../io/json.ts';
import { outputDir } from '../io/open.ts';

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`stableJson: ${v} has no JSON form`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`)
    .join(',')}}`;
}

/** Bump when a change to heed alters what a stage makes from the same inputs, so caches written
 *  by the older code are not served (2: the pretrain recipe's chat tags became plain text). */
export const STAGE_CODE_VERSION = 2;

/** The key of a stage: sha256 of its name, its own inputs, its upstream stages' keys and the code version. */
export function stageKey(name: string, inputs: unknown, upstream: readonly string[] = []): string {
  return createHash('sha256')
    .update(stableJson({ name, inputs, upstream, code: STAGE_CODE_VERSION }))
    .digest('hex')
    .slice(0, 16);
}

/** sha256 of a file's bytes (a base model given as a directory is keyed by its contents). */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

interface StageRecord<R> {
  key: string;
  done: boolean;
  result?: R;
  /** Where in `result` a path is stored relative to the stage directory (JSON paths as key lists). */
  relative?: (string | number)[][];
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `result` with every string that names a path inside `dir` made relative to it, and where those are. */
export function relativizePaths(result: unknown, dir: string): { result: unknown; relative: (string | number)[][] } {
  const root = resolve(dir);
  const found: (string | number)[][] = [];
  const walk = (v: unknown, at: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      if (v === '' || !(isAbsolute(v) || v.includes(sep))) return v;
      const abs = resolve(v);
      if (abs !== root && !abs.startsWith(root + sep)) return v;
      found.push(at);
      return relative(root, abs) || '.';
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...at, i]));
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, [...at, k])]));
    return v;
  };
  return { result: walk(result, []), relative: found };
}

/** The inverse of relativizePaths: the listed strings resolved against `dir` (as given: relative stays relative). */
export function resolvePaths<R>(result: R, relativePaths: readonly (readonly (string | number)[])[], dir: string): R {
  const copy = JSON.parse(JSON.stringify(result)) as Json;
  for (const at of relativePaths) {
    if (at.length === 0) return join(dir, copy as string) as R;
    let o: Json = copy;
    for (const k of at.slice(0, -1)) o = (o as Record<string | number, Json>)[k]!;
    const last = at.at(-1)!;
    const holder = o as Record<string | number, Json>;
    if (typeof holder[last] === 'string') holder[last] = join(dir, holder[last]);
  }
  return copy as R;
}

export type StageStatus = 'cached' | 'resumed' | 'ran';

export interface StageOutcome<R> {
  result: R;
  status: StageStatus;
  key: string;
}

export function readStage<R>(dir: string): StageRecord<R> | undefined {
  const p = join(dir, 'stage.json');
  if (!existsSync(p)) return undefined;
  let rec: StageRecord<R>;
  try {
    rec = readJsonFile(p, 'stage record') as StageRecord<R>;
    if (!rec || typeof rec !== 'object' || typeof rec.key !== 'string') return undefined;
    if (rec.result !== undefined && Array.isArray(rec.relative)) rec = { ...rec, result: resolvePaths(rec.result, rec.relative, dir) };
  } catch {
    return undefined; // a torn or malformed record: the stage reruns from scratch
  }
  return rec;
}

/** True when `dir` holds this key's finished result. */
export function isCached(dir: string, key: string): boolean {
  const r = readStage(dir);
  return !!r && r.done && r.key === key;
}

/** Runs `fn(dir)` unless `dir` already holds this key's result (see the file comment). */
export async function runStage<R>(dir: string, key: string, fn: (dir: string, resuming: boolean) => Promise<R>): Promise<StageOutcome<R>> {
  const rec = readStage<R>(dir);
  if (rec && rec.key === key && rec.done && rec.result !== undefined) return { result: rec.result, status: 'cached', key };
  const resuming = !!rec && rec.key === key;
  if (!resuming && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
  outputDir(dir, 'study stage directory'); // a file where the study or stage directory belongs is refused in words
  if (!resuming) writeJsonAtomic(join(dir, 'stage.json'), { key, done: false });
  const result = await fn(dir, resuming);
  const rel = relativizePaths(result, dir);
  writeJsonAtomic(join(dir, 'stage.json'), { key, done: true, result: rel.result, relative: rel.relative });
  return { result, status: resuming ? 'resumed' : 'ran', key };
}
