// The study's judge, from the same spec `heed eval compare --judge` takes, built from src/eval's
// judges in process. A proxy judge (reference:) says so on every number it makes.
import type { Backend } from '../backend/backend.ts';
import type { Judge } from '../eval/judges/judge.ts';
import { localJudge } from '../eval/judges/local.ts';
import { longestJudge } from '../eval/judges/longest.ts';
import { openaiJudge, parseOpenAISpec } from '../eval/judges/openai.ts';
import { referenceJudge } from '../eval/judges/reference.ts';
import { readReferenceOutputs } from '../eval/outputs.ts';
import { buildModel, loadPretrained } from '../load/pretrained.ts';

export const JUDGE_KINDS = 'reference:REF (offline ROUGE-L proxy), longest, openai:URL[#model], local:PATH';

/** Checks a judge spec's form without opening anything (configs are validated before a study starts). */
export function checkJudgeSpec(spec: string): void {
  if (spec === 'longest') return;
  for (const p of ['reference:', 'openai:', 'local:']) if (spec.startsWith(p) && spec.length > p.length) return;
  throw new Error(`judge "${spec}": expected one of ${JUDGE_KINDS}`);
}

export async function makeJudge(spec: string, opts: { cachePath: string; backend: () => Promise<Backend> }): Promise<Judge> {
  checkJudgeSpec(spec);
  if (spec === 'longest') return longestJudge;
  if (spec.startsWith('reference:')) {
    const src = spec.slice('reference:'.length);
    return referenceJudge(readReferenceOutputs(src), src);
  }
  if (spec.startsWith('openai:')) {
    const { url, model } = parseOpenAISpec(spec);
    return openaiJudge({ url, ...(model ? { model } : {}), seed: 0, cachePath: opts.cachePath });
  }
  const path = spec.slice('local:'.length);
  const { ckpt, tokenizer } = loadPretrained(path);
  if (!tokenizer) throw new Error(`judge local:${path}: the model has no tokenizer.json beside it`);
  return localJudge(buildModel(ckpt, await opts.backend()), tokenizer, { name: path, seed: 0 });
}
