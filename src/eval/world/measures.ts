// Measures over judged answers: IFEval's prompt- and instruction-level accuracy, the semantic score
// (own request minus a random other request, paired), and the exact pairwise preference that
// src/eval/metrics.ts's headToHead turns into a win rate with its standard error.
import { Rng } from '../../core/random.ts';
import type { WorldRequest } from '../../data/world/requests.ts';
import { type Verdict, judge } from './judge.ts';

export type Level = 'prompt' | 'instruction';

/** Prompt-level strict: the share of answers meeting every check. */
export function promptLevel(verdicts: readonly Verdict[]): number {
  if (verdicts.length === 0) return NaN;
  return verdicts.filter((v) => v.all).length / verdicts.length;
}

/** Instruction-level: met checks over all checks, pooled over answers (as IFEval reports it). */
export function instructionLevel(verdicts: readonly Verdict[]): number {
  const total = verdicts.reduce((s, v) => s + v.total, 0);
  return total === 0 ? NaN : verdicts.reduce((s, v) => s + v.met, 0) / total;
}

/** One answer's score at a level: 1/0 for prompt, the share of its checks met for instruction. */
export function itemScore(v: Verdict, level: Level): number {
  return level === 'prompt' ? (v.all ? 1 : 0) : v.met / v.total;
}

/**
 * For each answer, the index of the request it is also checked against: another item of the same
 * kind (story with story, fact with fact), uniform among them, drawn from `seed`. An item with no
 * other of its kind gets -1.
 */
export function otherIndices(requests: readonly WorldRequest[], seed: number): number[] {
  const rng = new Rng(seed);
  const byKind = new Map<string, number[]>();
  requests.forEach((r, i) => byKind.set(r.kind, [...(byKind.get(r.kind) ?? []), i]));
  return requests.map((r, i) => {
    const same = byKind.get(r.kind)!;
    if (same.length < 2) return -1;
    const j = rng.int(same.length - 1);
    const k = same[j]! >= i ? same[j + 1]! : same[j]!;
    return k;
  });
}

export interface SemanticScore {
  /** Mean of own − other, in [-1, 1]. */
  score: number;
  /** Mean score on each answer's own request. */
  own: number;
  /** Mean score of the same answers on a random other request. */
  other: number;
  /** Per-item own − other (for a paired bootstrap); items with no other of their kind are left out. */
  diffs: number[];
  /** The other request's index per item. */
  others: number[];
}

/**
 * The semantic score: accuracy on the answer's own request minus the accuracy of the same answer
 * checked against a random other request of the same kind. A generic answer, or good format that
 * ignores the request, scores about 0.
 */
export function semanticScore(
  requests: readonly WorldRequest[],
  answers: readonly string[],
  opts: { level?: Level; seed?: number } = {},
): SemanticScore {
  if (requests.length !== answers.length) throw new Error(`semanticScore: ${requests.length} requests but ${answers.length} answers`);
  const level = opts.level ?? 'prompt';
  const others = otherIndices(requests, opts.seed ?? 0);
  const own: number[] = [];
  const other: number[] = [];
  const diffs: number[] = [];
  answers.forEach((a, i) => {
    if (others[i]! < 0) return;
    const o = itemScore(judge(requests[i]!, a), level);
    const x = itemScore(judge(requests[others[i]!]!, a), level);
    own.push(o);
    other.push(x);
    diffs.push(o - x);
  });
  const mean = (xs: number[]) => (xs.length ? xs.reduce((s, v) => s + v, 0) / xs.length : NaN);
  return { score: mean(diffs), own: mean(own), other: mean(other), diffs, others };
}

/**
 * The exact pairwise preference of answer `b` over the reference answer `a` on one request, in
 * AlpacaEval's coding: 1 = a meets more checks, 2 = b meets more, 1.5 = as many.
 */
export function exactPreference(request: WorldRequest, a: string, b: string): number {
  const ma = judge(request, a).met;
  const mb = judge(request, b).met;
  return ma === mb ? 1.5 : mb > ma ? 2 : 1;
}

/** Preferences of `model` answers against `reference` answers (feed to headToHead for win rate and SE). */
export function exactPreferences(requests: readonly WorldRequest[], reference: readonly string[], model: readonly string[]): number[] {
  if (reference.length !== requests.length || model.length !== requests.length)
    throw new Error(`exactPreferences: ${requests.length} requests, ${reference.length} reference and ${model.length} model answers`);
  return requests.map((r, i) => exactPreference(r, reference[i]!, model[i]!));
}

export interface WorldScores {
  n: number;
  promptLevel: number;
  instructionLevel: number;
  /** Semantic score at prompt level and at instruction level. */
  semanticPrompt: number;
  semanticInstruction: number;
}

/** Every accuracy measure of a set of answers, overall and per group (e.g. eval.jsonl's groups). */
export function worldScores(
  requests: readonly WorldRequest[],
  answers: readonly string[],
  groups: readonly string[],
  seed = 0,
): Record<string, WorldScores> {
  if (requests.length !== answers.length || groups.length !== answers.length)
    throw new Error(`worldScores: ${requests.length} requests, ${answers.length} answers, ${groups.length} groups`);
  const of = (idx: number[]): WorldScores => {
    const rs = idx.map((i) => requests[i]!);
    const as = idx.map((i) => answers[i]!);
    const verdicts = idx.map((i) => judge(requests[i]!, answers[i]!));
    return {
      n: idx.length,
      promptLevel: promptLevel(verdicts),
      instructionLevel: instructionLevel(verdicts),
      semanticPrompt: semanticScore(rs, as, { level: 'prompt', seed }).score,
      semanticInstruction: semanticScore(rs, as, { level: 'instruction', seed }).score,
    };
  };
  const all = requests.map((_, i) => i);
  const out: Record<string, WorldScores> = { all: of(all) };
  for (const g of [...new Set(groups)]) out[g] = of(all.filter((i) => groups[i] === g));
  return out;
}
