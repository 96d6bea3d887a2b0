// An offline PROXY judge that needs no judge model: whichever output is closer, by ROUGE-L F1, to
// a strong model's answer to the same instruction wins (equal scores: a draw, 1.5). It measures
// resemblance to that model's answer, not quality; every number it produces is labelled a proxy.
import { rougeL } from '../rouge.ts';
import { type ModelOutput, snippet } from '../outputs.ts';
import type { Judge, Pair, Verdict } from './judge.ts';

export function referencePreference(p: Pair, strong: string): { preference: number; rougeL_1: number; rougeL_2: number } {
  const f1 = rougeL(p.output_1, strong).f1;
  const f2 = rougeL(p.output_2, strong).f1;
  return { preference: f1 > f2 ? 1 : f2 > f1 ? 2 : 1.5, rougeL_1: f1, rougeL_2: f2 };
}

/** `strong` holds the strong model's outputs; every judged instruction must be among them. */
export function referenceJudge(strong: readonly ModelOutput[], label: string): Judge {
  const byInstruction = new Map<string, string>();
  for (const r of strong) {
    const prev = byInstruction.get(r.instruction);
    if (prev !== undefined && prev !== r.output)
      throw new Error(`reference judge ${label}: two different answers to the same instruction "${snippet(r.instruction)}"`);
    byInstruction.set(r.instruction, r.output);
  }
  const generator = strong[0]?.generator ?? label;
  return {
    name: `reference:${generator}`,
    proxy: `PROXY: ROUGE-L F1 closeness to ${generator}'s answers (${label}), not a judge's preference`,
    async judge(pairs, onProgress) {
      const out: Verdict[] = [];
      for (const p of pairs) {
        const s = byInstruction.get(p.instruction);
        if (s === undefined) throw new Error(`reference judge ${label}: no answer for the instruction "${snippet(p.instruction)}"`);
        const { preference, ...raw } = referencePreference(p, s);
        out.push({ preference, raw });
        onProgress?.(out.length);
      }
      return out;
    },
  };
}
