// The study's arms, in one table: how each is made (the base model as is, with the decode-time
// rules adapter, or finetuned from the base on some data), the paper's number beside it, and where
// its stages write. Every other part of the study reads an arm from here.
import { join, resolve } from 'node:path';
import { type Task, TASKS } from '../data/singleTask.ts';
import type { RuleName } from '../decode/rules.ts';

/** The story world's single-task sets (src/data/world/sets.ts): fact answers only, or one request type. */
export type WorldTask = 'fact' | 'about';

export interface Arm {
  name: string;
  /** An arm of the story world's part (its own base, sets and exact judge; docs/world.md). */
  world?: true;
  /** Finetuned from the base on LIMA ('instruction'), LIMA without instructions ('response') or
   *  one task's data (in the world: the world's instruction set, its stories with empty user
   *  turns, or one of its single-task sets); absent: the base model itself. */
  training?: { kind: 'instruction' | 'response' } | { kind: 'single-task'; task: Task | WorldTask };
  /** How the request is put to the model: the chat template (default), or inside a natural
   *  pretraining wrapper (the world's calibration (b): does the base follow in a form it knows?). */
  prompt?: 'chat' | 'wrapper';
  /** The rules adapter's rules, in the order the stage keys spell them; absent: plain decoding. */
  rules?: readonly RuleName[];
  /** Hewitt et al. 2024, Llama-2-7B: LC win rate (%) against the instruction-tuned model. */
  paperLc?: number;
}

const PAPER_TASK_LC: Record<Task, number> = { gsm: 23.7, mbpp: 16.9, poetry: 22.9, recipes: 14.6, chess: 2.1 };

const ARMS_REAL: readonly Arm[] = [
  { name: 'base', paperLc: 2.4 },
  { name: 'base+rules', rules: ['eos', 'diversity', 'uniform'], paperLc: 24.4 },
  { name: 'base+rules-no-eos', rules: ['diversity', 'uniform'], paperLc: 10.4 },
  { name: 'base+rules-no-diversity', rules: ['eos', 'uniform'], paperLc: 14.3 },
  { name: 'base+rules-no-uniform', rules: ['eos', 'diversity'], paperLc: 16.3 },
  { name: 'instruction', training: { kind: 'instruction' } },
  { name: 'response', training: { kind: 'response' }, paperLc: 43.3 },
  ...TASKS.map((task): Arm => ({ name: `single-task:${task}`, training: { kind: 'single-task', task }, paperLc: PAPER_TASK_LC[task] })),
];

/** The world's arms: the same kinds, made from the world base on the world's sets, plus the base
 *  asked inside a pretraining wrapper (a calibration arm, not a paper arm). */
const WORLD_ARMS: readonly Arm[] = [
  ...ARMS_REAL.filter((a) => a.training?.kind !== 'single-task').map((a): Arm => ({ ...a, name: `world:${a.name}`, world: true })),
  { name: 'world:single-task:fact', world: true, training: { kind: 'single-task', task: 'fact' } },
  { name: 'world:single-task:about', world: true, training: { kind: 'single-task', task: 'about' } },
  { name: 'world:base-in-wrapper', world: true, prompt: 'wrapper' },
];

export const ARMS: readonly Arm[] = [...ARMS_REAL, ...WORLD_ARMS];

/** The arm every other is judged against (in the world: WORLD_REFERENCE_ARM). */
export const REFERENCE_ARM = 'instruction';
export const WORLD_REFERENCE_ARM = 'world:instruction';

export const ARM_NAMES: readonly string[] = ARMS.map((a) => a.name);

/** The arm of a name; an unknown name is refused, listing the known ones. */
export function armOf(name: string): Arm {
  const arm = ARMS.find((a) => a.name === name);
  if (!arm) throw new Error(`unknown arm ${JSON.stringify(name)} (known: ${ARM_NAMES.join(', ')})`);
  return arm;
}

/** The stages an arm goes through, each in its own folder. */
export type ArmStage = 'train' | 'generate' | 'judge';

/** A folder name for an arm (no ':' or '+'). */
export const armSlug = (arm: string): string => arm.replace(/[:+]/g, '-');

/** Where an arm's stage writes under the study's output folder. */
export function armStageDir(out: string, arm: string, stage: ArmStage): string {
  return join(resolve(out), 'arms', armSlug(arm), stage);
}
