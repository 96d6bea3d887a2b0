// The chance rate of each check: how often a story meets a constraint of a random other spec. The
// design fixes it (every slot uniform and independent), so `designChance` derives it from the
// lexicon's sizes and `measureChance` measures it on rendered stories; a test holds them together.
import { Rng } from '../../core/random.ts';
import { renderStory } from '../../data/world/grammar.ts';
import { CLOSINGS, ENDINGS, FIRST_WORDS, MAX_SENTENCES, MIN_SENTENCES, NAMES, PLACES, POOL, SPECIES } from '../../data/world/lexicon.ts';
import { SLOTS, type Slot, constraintsOf, randomSpec } from '../../data/world/spec.ts';
import type { World } from '../../data/world/world.ts';
import { checkSlot } from './judge.ts';

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let r = 1;
  for (let i = 0; i < k; i++) r = (r * (n - i)) / (i + 1);
  return r;
}

/** The chance of each slot's check, from the lexicon's sizes (species are dealt evenly over names). */
export function designChance(): Record<Slot, number> {
  const closings = ENDINGS.reduce((s, e) => s + CLOSINGS[e].length, 0);
  // words: the story has kA in {2, 3} words, the other spec asks for kB in {2, 3}, each uniform;
  // all kB asked words are among the story's kA with probability C(kA, kB) / C(|pool|, kB)
  let words = 0;
  for (const ka of [2, 3]) for (const kb of [2, 3]) words += choose(ka, kb) / choose(POOL.length, kb) / 4;
  return {
    hero: 1 / NAMES.length,
    companion: 1 / NAMES.length,
    species: 1 / SPECIES.length,
    place: 1 / PLACES.length,
    words,
    firstWord: 1 / FIRST_WORDS.length,
    ending: 1 / ENDINGS.length,
    closing: 1 / closings,
    sentences: 1 / (MAX_SENTENCES - MIN_SENTENCES + 1),
    dialogue: 1 / 2,
  };
}

export interface ChanceMeasurement {
  n: number;
  /** Per slot: the share of stories meeting that slot of another, independent spec. */
  rate: Record<Slot, number>;
  /** The same stories on their own spec (1 for every slot when judge ∘ render holds). */
  own: Record<Slot, number>;
}

/** Renders `n` stories of random specs and checks each against its own and another random spec. */
export function measureChance(world: World, n: number, seed: number): ChanceMeasurement {
  const rng = new Rng(seed);
  const rate = Object.fromEntries(SLOTS.map((s) => [s, 0])) as Record<Slot, number>;
  const own = { ...rate };
  for (let i = 0; i < n; i++) {
    const spec = randomSpec(world, rng);
    const story = renderStory(world, spec, rng);
    const mine = constraintsOf(world, spec, SLOTS);
    const theirs = constraintsOf(world, randomSpec(world, rng), SLOTS);
    for (const s of SLOTS) {
      if (checkSlot(theirs, s, story)) rate[s] += 1 / n;
      if (checkSlot(mine, s, story)) own[s] += 1 / n;
    }
  }
  return { n, rate, own };
}

/** The chance table as markdown: design and measured rate per check. */
export function chanceTable(m: ChanceMeasurement): string {
  const d = designChance();
  const rows = SLOTS.map(
    (s) => `| ${s} | ${(100 * d[s]).toFixed(s === 'words' ? 3 : 1)}% | ${(100 * m.rate[s]).toFixed(s === 'words' ? 3 : 1)}% |`,
  );
  return [`| check | design | measured (n = ${m.n}) |`, '|---|---:|---:|', ...rows].join('\n');
}
