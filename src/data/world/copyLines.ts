// Copy lines: `copy: ring brave swim -> ring brave swim`, 2–4 pool words, then the same words again.
// Not world text: a drill of the one skill no world base learned from the world's own kinds,
// carrying a listed word's identity to where it is written (docs/world.md, "Short windows"). In
// windows of 33 tokens beside the world's 257-token ones, every step, a model of this size starts
// to copy within a few hundred steps and carries it into the world's drills; alone, in long windows,
// none did. Corpus of a pretraining recipe's `copyWindows` only: never in a tuning or evaluation set.
import { Rng } from '../../core/random.ts';
import { POOL } from './lexicon.ts';
import { pickDistinct } from './world.ts';

/** One line: 2–4 distinct pool words, an arrow, the same words in the same order. */
export function copyLine(rng: Rng): string {
  const words = pickDistinct(POOL, 2 + rng.int(3), rng).join(' ');
  return `copy: ${words} -> ${words}`;
}

/** `count` documents of six copy lines each, the same for the same seed. */
export function copyLineDocuments(seed: number, count: number): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, () => Array.from({ length: 6 }, () => copyLine(rng)).join('\n'));
}
