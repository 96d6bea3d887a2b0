// A judge from its spec, the one form `heed eval compare --judge`, `heed study --judge` and study
// configs take: reference:REF (the offline ROUGE-L proxy), longest, openai:URL[#model], local:PATH.
import { basename } from 'node:path';
import type { Backend } from '../../backend/backend.ts';
import { openPretrained } from '../../load/pretrained.ts';
import { readReferenceOutputs } from '../outputs.ts';
import type { Judge } from './judge.ts';
import { localJudge } from './local.ts';
import { longestJudge } from './longest.ts';
import { openaiJudge, parseOpenAISpec } from './openai.ts';
import { referenceJudge } from './reference.ts';

export const JUDGE_KINDS = 'reference:REF (offline ROUGE-L proxy), longest, openai:URL[#model], local:PATH';

/** Checks a judge spec's form without opening anything (configs are validated before a study starts). */
export function checkJudgeSpec(spec: string): void {
  if (spec === 'longest') return;
  for (const p of ['reference:', 'openai:', 'local:']) if (spec.startsWith(p) && spec.length > p.length) return;
  throw new Error(`judge "${spec}": expected one of ${JUDGE_KINDS}`);
}

export interface JudgeOptions {
  /** openai: the judgement cache (JSONL). */
  cachePath: string;
  /** local: the backend the judge model runs on (opened only when needed). */
  backend: () => Promise<Backend>;
  /** Seed of the per-instruction order swap (default 0). */
  seed?: number;
  /** openai: requests in flight and attempts per request (the judge's defaults when absent). */
  concurrency?: number;
  maxAttempts?: number;
  /** local: the judge's tokenizer when its checkpoint carries none, and prompts per forward pass. */
  tokenizer?: string;
  batchSize?: number;
}

export async function judgeFromSpec(spec: string, opts: JudgeOptions): Promise<Judge> {
  checkJudgeSpec(spec);
  const seed = opts.seed ?? 0;
  if (spec === 'longest') return longestJudge;
  if (spec.startsWith('reference:')) {
    const src = spec.slice('reference:'.length);
    return referenceJudge(readReferenceOutputs(src), src);
  }
  if (spec.startsWith('openai:')) {
    const { url, model } = parseOpenAISpec(spec);
    return openaiJudge({
      url,
      ...(model ? { model } : {}),
      seed,
      cachePath: opts.cachePath,
      ...(opts.concurrency !== undefined ? { concurrency: opts.concurrency } : {}),
      ...(opts.maxAttempts !== undefined ? { maxAttempts: opts.maxAttempts } : {}),
    });
  }
  const path = spec.slice('local:'.length);
  const { model, tokenizer } = openPretrained(path, opts.tokenizer, await opts.backend());
  return localJudge(model, tokenizer, {
    name: basename(path),
    seed,
    ...(opts.batchSize !== undefined ? { batchSize: opts.batchSize } : {}),
  });
}
