// IFEval prompts as an instruction set for the evaluator's answer generator (src/eval/generate.ts),
// and its answers back as the responses IFEval scores: `heed eval ifeval --model` and the study's
// generate stage both go this way, so the same model gets the same IFEval score from either.
import type { Instruction, ModelOutput } from '../outputs.ts';
import type { IfevalInput } from './evaluate.ts';

export const ifevalInstructions = (inputs: readonly IfevalInput[]): Instruction[] =>
  inputs.map((i) => ({ instruction: i.prompt, dataset: 'ifeval' }));

/** Prompt -> response, as runIfeval matches them. */
export const responsesOf = (rows: readonly ModelOutput[]): Map<string, string> => new Map(rows.map((r) => [r.instruction, r.output]));
