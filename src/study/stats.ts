// How sure each number is: paired bootstrap intervals (seeded), the exact sign test, and the
// output statistics a small model can move (EOS rate, lengths, distinct-n repetition).
import { Rng } from '../core/random.ts';
import { mean, quantile, sampleStd } from '../util/stats.ts';

export interface Interval {
  /** mean(a) − mean(b) on the paired rows. */
  diff: number;
  lo: number;
  hi: number;
  n: number;
  /** The interval holds 0: the difference is indistinguishable from noise at this level. */
  noise: boolean;
}

/**
 * Paired bootstrap 95% percentile interval of mean(a − b): rows (instructions) are resampled
 * with replacement, the same rows for both arms. Seeded, so a rerun gives the same interval.
 */
/** Paired values of two arms: the rows where both have a value. */
export function paired(x: readonly (number | null)[], y: readonly (number | null)[]): [number[], number[]] {
  const a: number[] = [];
  const b: number[] = [];
  x.forEach((v, i) => {
    const w = y[i];
    if (v !== null && w !== null && w !== undefined) {
      a.push(v);
      b.push(w);
    }
  });
  return [a, b];
}

export function pairedBootstrap(
  a: readonly number[],
  b: readonly number[],
  opts: { samples: number; seed: number; level?: number },
): Interval {
  if (a.length !== b.length) throw new Error(`pairedBootstrap: ${a.length} values against ${b.length}; the rows must be paired`);
  const d = a.map((x, i) => x - b[i]!);
  const n = d.length;
  if (n === 0) return { diff: NaN, lo: NaN, hi: NaN, n, noise: true };
  const rng = new Rng(opts.seed);
  const stats: number[] = [];
  for (let s = 0; s < opts.samples; s++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += d[rng.int(n)]!;
    stats.push(sum / n);
  }
  stats.sort((x, y) => x - y);
  const alpha = (1 - (opts.level ?? 0.95)) / 2;
  const lo = quantile(stats, alpha);
  const hi = quantile(stats, 1 - alpha);
  return { diff: mean(d), lo, hi, n, noise: lo <= 0 && hi >= 0 };
}

/** Bootstrap standard error of a statistic of rows (e.g. the LC win rate, which has no closed form). */
export function bootstrapSe<T>(rows: readonly T[], stat: (rows: T[]) => number, opts: { samples: number; seed: number }): number {
  const n = rows.length;
  if (n < 2) return NaN;
  const rng = new Rng(opts.seed);
  const vals: number[] = [];
  for (let s = 0; s < opts.samples; s++) {
    const v = stat(Array.from({ length: n }, () => rows[rng.int(n)]!));
    if (Number.isFinite(v)) vals.push(v);
  }
  return sampleStd(vals);
}

/** ln C(n, k). */
function logChoose(n: number, k: number): number {
  let s = 0;
  for (let i = 1; i <= k; i++) s += Math.log(n - k + i) - Math.log(i);
  return s;
}

/** Two-sided exact sign test on paired values: ties dropped; p = P(|wins − n/2| ≥ observed) under Binomial(n, ½). */
export function signTest(a: readonly number[], b: readonly number[]): { wins: number; losses: number; p: number } {
  let wins = 0;
  let losses = 0;
  a.forEach((x, i) => {
    if (x > b[i]!) wins++;
    else if (x < b[i]!) losses++;
  });
  const n = wins + losses;
  if (n === 0) return { wins, losses, p: 1 };
  const k = Math.min(wins, losses);
  let tail = 0;
  for (let i = 0; i <= k; i++) tail += Math.exp(logChoose(n, i) - n * Math.LN2);
  return { wins, losses, p: Math.min(1, 2 * tail) };
}

/** Whitespace words of a text. */
const words = (s: string): string[] => s.split(/\s+/).filter((w) => w !== '');

/**
 * distinct-n of one output: distinct word n-grams over all its n-grams (1 = no n-gram repeats;
 * a looping output scores low). NaN when the output has fewer than n words.
 */
export function distinctN(text: string, n: number): number {
  const w = words(text);
  const total = w.length - n + 1;
  if (total <= 0) return NaN;
  const seen = new Set<string>();
  for (let i = 0; i < total; i++) seen.add(w.slice(i, i + n).join('\u0001'));
  return seen.size / total;
}
