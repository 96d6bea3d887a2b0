// The story world's data as the study uses it: the world and its sets for the configured seed and
// sizes, the pretraining corpus of a world recipe, and the training data of each world arm.
// Everything comes from src/data/world (docs/world.md); nothing here makes data of its own.
import { newSkipped, type Dataset } from '../data/dataset.ts';
import { buildCorpus, type Mix } from '../data/world/corpus.ts';
import { buildSets, quizNames, type TuningRow, type WorldSets } from '../data/world/sets.ts';
import { buildWorld, type World } from '../data/world/world.ts';
import type { Arm } from './arms.ts';
import type { WorldSettings } from './config.ts';

export interface WorldData {
  world: World;
  sets: WorldSets;
}

/** The world of the config's seed and its sets at the config's sizes (deterministic). */
export function worldData(w: Pick<WorldSettings, 'seed' | 'stories' | 'tuningRows' | 'evalPerGroup'>): WorldData {
  const world = buildWorld(w.seed, w.stories);
  const sets = buildSets(world, w.seed, {
    instruction: w.tuningRows,
    singleFact: w.tuningRows,
    singleStory: w.tuningRows,
    evalPerGroup: w.evalPerGroup,
  });
  return { world, sets };
}

/** Offset of the held-out slice's corpus seed (as `heed data world`: never another seed's corpus). */
const HELDOUT_SEED = 0x40000000;

/**
 * The world corpus's documents at a token budget, avoiding every evaluation spec and request of
 * `data`'s sets and asking Q:/A: only about quiz characters. `heldout`: the 1%-size slice drawn
 * apart, for the held-out loss.
 */
export function worldCorpusTexts(
  data: WorldData,
  seed: number,
  tokens: number,
  countTokens: (text: string) => number,
  heldout = false,
  mix?: Partial<Mix>,
): string[] {
  const { sets } = data;
  const corpus = buildCorpus(data.world, {
    tokens: heldout ? Math.max(1000, Math.round(tokens / 100)) : tokens,
    seed: heldout ? seed + HELDOUT_SEED : seed,
    countTokens,
    ...(mix ? { mix } : {}),
    excludeSpecs: sets.evalSpecs,
    excludeRequests: sets.evalRequests,
    quizNames: quizNames(sets.heldOut),
  });
  return corpus.docs.map((d) => d.text);
}

/** Whitespace words: the token count for drawing the tokenizer's training documents (before a tokenizer exists). */
export const countWords = (text: string): number => text.split(/\s+/).filter((w) => w !== '').length;

const asDataset = (source: string, rows: readonly TuningRow[]): Dataset => ({
  source,
  rows: rows.map((r) => ({ id: r.id, messages: r.messages })),
  skipped: newSkipped(),
});

/** A world arm's training data: the instruction set, the same stories with empty user turns, or a single-task set. */
export function worldArmDataset(arm: Arm, data: WorldData): Dataset {
  const t = arm.training;
  if (!t || !arm.world) throw new Error(`arm "${arm.name}" is not a trained world arm`);
  const s = data.sets;
  if (t.kind !== 'single-task')
    return t.kind === 'instruction'
      ? asDataset('world instruction set', s.instruction)
      : asDataset('world response set (empty user turns)', s.response);
  if (t.task === 'fact') return asDataset('world single-task set: fact answers', s.singleFact);
  if (t.task === 'about') return asDataset(`world single-task set: ${s.singleStoryType} requests`, s.singleStory);
  throw new Error(`arm "${arm.name}": the world has no single-task set "${t.task}"`);
}
