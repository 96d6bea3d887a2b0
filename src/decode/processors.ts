// The logit-processor pipeline. Scores live in log space so adapters compose as a product of
// experts: scores = log_softmax(base logits) + Σ processor scores; sampling renormalises.
export interface DecodeContext {
  /** The prompt's ids (including BOS). */
  readonly promptIds: readonly number[];
  /** Ids generated so far for this sequence (stop ids are never included). */
  readonly generatedIds: readonly number[];
}

export interface LogitProcessor {
  readonly name: string;
  /** Adds this processor's log-space scores to `scores` (length = vocabulary) in place. */
  apply(scores: Float64Array, ctx: DecodeContext): void;
}

/** log_softmax of row `start .. start+V` of `logits`, in f64. */
export function logSoftmax(logits: ArrayLike<number>, start = 0, V = logits.length - start): Float64Array {
  const out = new Float64Array(V);
  let max = -Infinity;
  for (let i = 0; i < V; i++) max = Math.max(max, logits[start + i]!);
  let sum = 0;
  for (let i = 0; i < V; i++) sum += Math.exp(logits[start + i]! - max);
  const lse = max + Math.log(sum);
  for (let i = 0; i < V; i++) out[i] = logits[start + i]! - lse;
  return out;
}

/** log_softmax(base) + Σ processors, for one row of logits. */
export function processLogits(
  logits: ArrayLike<number>,
  start: number,
  V: number,
  processors: readonly LogitProcessor[],
  ctx: DecodeContext,
): Float64Array {
  const scores = logSoftmax(logits, start, V);
  for (const p of processors) p.apply(scores, ctx);
  return scores;
}

export interface TokenLogprob {
  id: number;
  /** log probability of `id` under the processed, renormalised distribution (before temperature). */
  logprob: number;
  /** The most likely ids with their log probabilities, most likely first (ties by id). */
  top: { id: number; logprob: number }[];
}

/** The chosen id's log probability and the `k` most likely alternatives, from processed scores. */
export function tokenLogprob(scores: Float64Array, id: number, k: number): TokenLogprob {
  const lp = logSoftmax(scores);
  const top: { id: number; logprob: number }[] = [];
  if (k > 0) {
    // a small insertion list: k is at most 20
    for (let i = 0; i < lp.length; i++) {
      const v = lp[i]!;
      if (top.length === k && v <= top[k - 1]!.logprob) continue;
      let j = top.length;
      while (j > 0 && top[j - 1]!.logprob < v) j--;
      top.splice(j, 0, { id: i, logprob: v });
      if (top.length > k) top.pop();
    }
  }
  return { id, logprob: lp[id]!, top };
}
