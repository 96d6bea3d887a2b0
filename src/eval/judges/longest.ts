// AlpacaEval's deterministic baseline annotator: the longer output wins (in characters, as
// Python's len counts them); on equal lengths output_2 wins, exactly as AlpacaEval's
// `np.where(len(output_1) > len(output_2), 1, 2)`.
import { charLength } from '../outputs.ts';
import type { Judge, Pair, Verdict } from './judge.ts';

export function longestPreference(p: Pair): number {
  return charLength(p.output_1) > charLength(p.output_2) ? 1 : 2;
}

export const longestJudge: Judge = {
  name: 'longest',
  async judge(pairs, onProgress) {
    const out: Verdict[] = pairs.map((p) => ({
      preference: longestPreference(p),
      raw: { len_1: charLength(p.output_1), len_2: charLength(p.output_2) },
    }));
    onProgress?.(pairs.length);
    return out;
  },
};
