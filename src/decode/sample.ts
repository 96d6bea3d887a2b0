// Turning one row of scores into a token id: greedy, or seeded sampling with temperature,
// top-k, top-p (nucleus) and min-p filters.
import type { Rng } from '../core/random.ts';

/** Index of the largest value; ties go to the first, as llama2.c's argmax does. */
export function argmax(row: ArrayLike<number>, start = 0, n = row.length - start): number {
  let best = 0;
  let bestV = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = row[start + i]!;
    if (v > bestV) {
      bestV = v;
      best = i;
    }
  }
  return best;
}

/** Samples from softmax(logits / temperature); temperature 0 is greedy. */
export function sample(row: ArrayLike<number>, temperature: number, rng: Rng, start = 0, n = row.length - start): number {
  if (temperature <= 0) return argmax(row, start, n);
  let max = -Infinity;
  for (let i = 0; i < n; i++) max = Math.max(max, row[start + i]!);
  const p = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) sum += p[i] = Math.exp((row[start + i]! - max) / temperature);
  let r = rng.next() * sum;
  for (let i = 0; i < n; i++) {
    r -= p[i]!;
    if (r <= 0) return i;
  }
  return n - 1;
}

export interface SamplingOptions {
  /** 0 (the default) = greedy; the filters below then have no effect. */
  temperature?: number;
  /** Keep the k most likely ids (0 or absent = all). */
  topK?: number;
  /** Keep the smallest most-likely set whose mass reaches p (1 or absent = all). */
  topP?: number;
  /** Drop ids whose probability is below minP × the largest probability (0 or absent = none). */
  minP?: number;
}

/** Throws naming the field when a sampling option is out of range. */
export function checkSampling(o: SamplingOptions, where = 'sampling'): void {
  const bad = (field: string, v: unknown, want: string) => new Error(`${where}: ${field} must be ${want}, got ${String(v)}`);
  if (o.temperature !== undefined && !(Number.isFinite(o.temperature) && o.temperature >= 0))
    throw bad('temperature', o.temperature, 'a finite number >= 0');
  if (o.topK !== undefined && !(Number.isInteger(o.topK) && o.topK >= 0)) throw bad('topK', o.topK, 'an integer >= 0');
  if (o.topP !== undefined && !(Number.isFinite(o.topP) && o.topP > 0 && o.topP <= 1)) throw bad('topP', o.topP, 'in (0, 1]');
  if (o.minP !== undefined && !(Number.isFinite(o.minP) && o.minP >= 0 && o.minP <= 1)) throw bad('minP', o.minP, 'in [0, 1]');
}

/**
 * Picks an id from scores in log space (any per-row additive constant is irrelevant).
 * Temperature 0 is argmax. Otherwise p ∝ exp(score / T), then top-k, then top-p (the smallest
 * prefix of ids sorted by probability, ties by id, whose mass reaches topP), then min-p (relative
 * to the most likely id); what is left is renormalised and sampled with one draw of `rng`.
 */
export function sampleScores(scores: ArrayLike<number>, o: SamplingOptions, rng: Rng): number {
  const V = scores.length;
  const T = o.temperature ?? 0;
  if (T <= 0) return argmax(scores);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, scores[i]!);
  if (max === -Infinity) throw new Error('sampleScores: every id has probability 0');
  const p = new Float64Array(V);
  for (let i = 0; i < V; i++) p[i] = Math.exp((scores[i]! - max) / T);
  const topK = o.topK && o.topK < V ? o.topK : 0;
  const topP = o.topP ?? 1;
  const minP = o.minP ?? 0;
  if (topK === 0 && topP >= 1 && minP <= 0) return draw(p, null, rng);
  // Most likely first; ties by id so the kept set never depends on sort stability.
  const order = Array.from({ length: V }, (_, i) => i).filter((i) => p[i]! > 0);
  order.sort((a, b) => p[b]! - p[a]! || a - b);
  let keep = topK ? order.slice(0, topK) : order;
  if (topP < 1) {
    let total = 0;
    for (const i of keep) total += p[i]!;
    let mass = 0;
    let n = 0;
    while (n < keep.length && mass < topP * total) mass += p[keep[n++]!]!;
    keep = keep.slice(0, Math.max(1, n));
  }
  if (minP > 0) {
    const floor = minP * p[keep[0]!]!; // p of the most likely id is 1 after the max shift
    keep = keep.filter((i) => p[i]! >= floor);
  }
  return draw(p, keep, rng);
}

/** One draw from p restricted to `keep` (all ids when null), in that order. */
function draw(p: Float64Array, keep: number[] | null, rng: Rng): number {
  const ids = keep ?? Array.from({ length: p.length }, (_, i) => i);
  let sum = 0;
  for (const i of ids) sum += p[i]!;
  let r = rng.next() * sum;
  for (const i of ids) {
    r -= p[i]!;
    if (r <= 0) return i;
  }
  return ids[ids.length - 1]!;
}
