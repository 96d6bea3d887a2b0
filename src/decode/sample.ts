// Turning one row of logits into a token id.
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
