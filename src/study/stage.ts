// Cached stages. A stage's key is a hash of its name, the config fields it reads and the keys of
// the stages it reads from, so a changed input changes every key downstream of it and nothing
// upstream. Each stage owns one directory holding stage.json {key, done, result}:
//   done with the same key   -> served from the cache (its result returned, nothing run);
//   not done, same key       -> an interrupted run: the stage runs again in the same directory and
//                               continues from what it left there (training checkpoint, partial
//                               model_outputs.json);
//   a different key          -> the directory is cleared and the stage runs from scratch.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson, writeJsonAtomic } from '../io/json.ts';

/** JSON with object keys sorted, so equal values hash equally whatever their key order. */
export function stableJson(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`stableJson: ${v} has no JSON form`);
    return JSON.stringify(v);
  }
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${stableJson(o[k])}`).join(',')}}`;
}

/** Bump when a change to heed alters what a stage makes from the same inputs, so caches written
 *  by the older code are not served (2: the pretrain recipe's chat tags became plain text). */
export const STAGE_CODE_VERSION = 2;

/** The key of a stage: sha256 of its name, its own inputs, its upstream stages' keys and the code version. */
export function stageKey(name: string, inputs: unknown, upstream: readonly string[] = []): string {
  return createHash('sha256').update(stableJson({ name, inputs, upstream, code: STAGE_CODE_VERSION })).digest('hex').slice(0, 16);
}

/** sha256 of a file's bytes (a base model given as a directory is keyed by its contents). */
export function fileHash(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex').slice(0, 16);
}

interface StageRecord<R> {
  key: string;
  done: boolean;
  result?: R;
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
  try {
    return parseJson(readFileSync(p, 'utf8'), p, 'stage record') as StageRecord<R>;
  } catch {
    return undefined; // a torn record: the stage reruns from scratch
  }
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
  mkdirSync(dir, { recursive: true });
  if (!resuming) writeJsonAtomic(join(dir, 'stage.json'), { key, done: false });
  const result = await fn(dir, resuming);
  writeJsonAtomic(join(dir, 'stage.json'), { key, done: true, result });
  return { result, status: resuming ? 'resumed' : 'ran', key };
}
