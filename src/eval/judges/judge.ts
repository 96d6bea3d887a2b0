// The judge contract: given pairs (output_1 = reference, output_2 = model), return AlpacaEval
// preferences in [1, 2] (1 = output_1 better, 2 = output_2 better), or NaN for "no verdict".

export interface Pair {
  instruction: string;
  output_1: string;
  output_2: string;
}

export interface Verdict {
  preference: number;
  /** What the judge saw (top log-probabilities, scores), written to annotations.json. */
  raw?: unknown;
}

export interface Judge {
  /** Written to annotations.json's `annotator` and the leaderboard. */
  readonly name: string;
  /** Set when the numbers are not a judge model's opinion but an offline proxy; says what they measure. */
  readonly proxy?: string;
  judge(pairs: readonly Pair[], onProgress?: (done: number) => void): Promise<Verdict[]>;
  /** Releases models, sockets, caches. */
  close?(): Promise<void>;
}
