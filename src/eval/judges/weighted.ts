// AlpacaEval 2's weighted protocol, shared by every judge model (remote or in process): the judge
// sees the two outputs labelled `m` (first) and `M` (second) and answers with one token; from its
// top log-probabilities, preference = 2 − P(m) / (P(m) + P(M)) (1 = first better, 2 = second).
// Which output is shown first is a seeded coin per instruction; the verdict is mapped back.
import { createHash } from 'node:crypto';
import type { Pair } from './judge.ts';

export interface ChatMessage {
  role: 'system' | 'user';
  content: string;
}

export interface TopLogprob {
  token: string;
  logprob: number;
}

const SYSTEM =
  'You are a highly efficient assistant, who evaluates and selects the best large language model (LLMs) based on the quality of their responses to a given instruction. This process will be used to create a leaderboard reflecting the most accurate and human-preferred answers.';

/** The judge prompt: the instruction, the two outputs as models `m` and `M`, one-character answer. */
export function judgeMessages(instruction: string, first: string, second: string): ChatMessage[] {
  const user = `I require a leaderboard for various large language models. I'll provide you with prompts given to these models and their corresponding outputs. Your task is to assess these responses, and select the model that produces the best output from a human perspective.

## Instruction

{
    "instruction": """${instruction}""",
}

## Model Outputs

Here are the unordered outputs from the models. Each output is associated with a specific model, identified by a unique model identifier.

{
    {
        "model_identifier": "m",
        "output": """${first}"""
    },
    {
        "model_identifier": "M",
        "output": """${second}"""
    }
}

## Task

Evaluate the models on the basis of the quality and relevance of their results, and select the model that generated the best result. Reply with the identifier of the best model. Our evaluation will only take into account the first character of your answer, so make sure it contains only one of the identifiers and nothing else (no quotes, no spaces, no new lines, ...).
`;
  return [
    { role: 'system', content: SYSTEM },
    { role: 'user', content: user },
  ];
}

/** The seeded per-instruction coin: true when output_2 is shown first. */
export function isSwapped(instruction: string, seed: number): boolean {
  return (createHash('sha256').update(`${seed}\u0000${instruction}`).digest()[0]! & 1) === 1;
}

/** A token's spelling with a leading SentencePiece `▁`, GPT-2 `Ġ` or space removed. */
export function bareToken(token: string): string {
  return token.replace(/^[\u2581\u0120 ]/, '');
}

/**
 * 2 − P(m) / (P(m) + P(M)) from top log-probabilities, summing every spelling of each label
 * (`m`, `▁m`, ` m`; case matters). NaN when neither label is among them.
 */
export function preferenceFromLogprobs(top: readonly TopLogprob[]): number {
  let pm = 0;
  let pM = 0;
  for (const t of top) {
    if (!Number.isFinite(t.logprob) && t.logprob !== -Infinity) throw new Error(`top_logprobs: logprob of "${t.token}" is ${t.logprob}`);
    const b = bareToken(t.token);
    if (b === 'm') pm += Math.exp(t.logprob);
    else if (b === 'M') pM += Math.exp(t.logprob);
  }
  if (pm + pM === 0) return NaN;
  return 2 - pm / (pm + pM);
}

/** The prompt shown for a pair, and how to read the verdict back in output_1/output_2 terms. */
export function presentPair(p: Pair, seed: number): { messages: ChatMessage[]; swapped: boolean } {
  const swapped = isSwapped(p.instruction, seed);
  return {
    messages: swapped ? judgeMessages(p.instruction, p.output_2, p.output_1) : judgeMessages(p.instruction, p.output_1, p.output_2),
    swapped,
  };
}

/** Undoes the swap: a preference about (shown first, shown second) becomes one about (output_1, output_2). */
export function unswap(preference: number, swapped: boolean): number {
  return swapped ? 3 - preference : preference;
}
