// ROUGE-L (longest common subsequence of tokens), as Google's rouge_score computes it without
// stemming: lower-case, every run of characters outside [a-z0-9] is a separator.

export interface RougeScore {
  precision: number;
  recall: number;
  f1: number;
}

/** rouge_score's default tokenizer: lower-case, non-alphanumerics (ASCII) split, empties dropped. */
export function rougeTokens(text: string): string[] {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, ' ')
    .split(' ')
    .filter((t) => t.length > 0);
}

/** Length of the longest common subsequence, O(|a|·|b|) time, O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return 0;
  // Interning tokens as integers makes the inner loop compare numbers, not strings.
  const ids = new Map<string, number>();
  const intern = (t: string): number => {
    let id = ids.get(t);
    if (id === undefined) ids.set(t, (id = ids.size));
    return id;
  };
  const ai = Int32Array.from(a, intern);
  const bi = Int32Array.from(b, intern);
  let prev = new Int32Array(bi.length + 1);
  let cur = new Int32Array(bi.length + 1);
  for (let i = 0; i < ai.length; i++) {
    const x = ai[i]!;
    for (let j = 0; j < bi.length; j++) {
      cur[j + 1] = x === bi[j] ? prev[j]! + 1 : Math.max(prev[j + 1]!, cur[j]!);
    }
    [prev, cur] = [cur, prev];
  }
  return prev[bi.length]!;
}

/** ROUGE-L of a candidate against a reference; all zero when either has no tokens. */
export function rougeL(candidate: string, reference: string): RougeScore {
  const c = rougeTokens(candidate);
  const r = rougeTokens(reference);
  const lcs = lcsLength(c, r);
  if (lcs === 0) return { precision: 0, recall: 0, f1: 0 };
  const precision = lcs / c.length;
  const recall = lcs / r.length;
  return { precision, recall, f1: (2 * precision * recall) / (precision + recall) };
}
