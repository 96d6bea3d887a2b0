// Summary statistics, one implementation each (the evaluator, the ranking probe, the study and the
// report's charts all use these): mean, sample variance and standard deviation (n − 1, as numpy's
// ddof=1, pandas and scipy), the standard error of a mean, and numpy's default quantile.

export const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);

/** Sample variance (n − 1); NaN below two values. */
export function sampleVariance(xs: readonly number[]): number {
  if (xs.length < 2) return NaN;
  const m = mean(xs);
  return xs.reduce((a, x) => a + (x - m) ** 2, 0) / (xs.length - 1);
}

/** Sample standard deviation (n − 1); NaN below two values. */
export const sampleStd = (xs: readonly number[]): number => Math.sqrt(sampleVariance(xs));

/** The standard error of the mean, √(sample variance / n); NaN below two values. */
export const standardError = (xs: readonly number[]): number => Math.sqrt(sampleVariance(xs) / xs.length);

/** Percentile (type 7, numpy's default) of sorted values. */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}
