// The world's facts: every named character has a species, a home and a favourite food, drawn from
// the seed. Species are dealt evenly (each species has the same number of characters), so the
// chance that two random heroes share a species is exactly 1 / |species|.
import { Rng } from '../../core/random.ts';
import { FOODS, NAMES, PLACES, SPECIES } from './lexicon.ts';

export interface Character {
  name: string;
  species: string;
  /** A place noun (PLACES[i].noun). */
  home: string;
  food: string;
}

/** How a story orders its sentences (src/data/world/grammar.ts): 'shuffled' (the world as first
 *  built: the words, dialogue and filler sentences in random order, fillers a random subset) or
 *  'planned' (one fixed plan: opening, companion, the words in one sentence, dialogue, then the
 *  fillers as a prefix of one fixed list, mood, closing; docs/world.md, attempt 9). */
export type StoryOrder = 'shuffled' | 'planned';
export const STORY_ORDERS: readonly StoryOrder[] = ['shuffled', 'planned'];
export const isStoryOrder = (x: unknown): x is StoryOrder => STORY_ORDERS.includes(x as StoryOrder);

export interface World {
  seed: number;
  stories: StoryOrder;
  characters: readonly Character[];
  byName: ReadonlyMap<string, Character>;
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>(xs: readonly T[], rng: Rng): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/** One element, uniformly. */
export function pick<T>(xs: readonly T[], rng: Rng): T {
  if (xs.length === 0) throw new Error('pick: empty list');
  return xs[rng.int(xs.length)]!;
}

/** k distinct elements, uniformly, in random order. */
export function pickDistinct<T>(xs: readonly T[], k: number, rng: Rng): T[] {
  if (k > xs.length) throw new Error(`pickDistinct: ${k} of ${xs.length}`);
  return shuffled(xs, rng).slice(0, k);
}

/** The world of a seed: the same seed gives the same characters on every machine. */
export function buildWorld(seed: number, stories: StoryOrder = 'shuffled'): World {
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`world seed must be a whole number >= 0, got ${seed}`);
  if (!isStoryOrder(stories))
    throw new Error(`world story order must be one of ${STORY_ORDERS.join(', ')}, got ${JSON.stringify(stories)}`);
  const rng = new Rng(seed ^ 0x5eed);
  const names = shuffled(NAMES, rng);
  const characters = names.map((name, i) => ({
    name,
    species: SPECIES[i % SPECIES.length]!,
    home: pick(PLACES, rng).noun,
    food: pick(FOODS, rng),
  }));
  characters.sort((a, b) => NAMES.indexOf(a.name as (typeof NAMES)[number]) - NAMES.indexOf(b.name as (typeof NAMES)[number]));
  return { seed, stories, characters, byName: new Map(characters.map((c) => [c.name, c])) };
}

export function character(world: World, name: string): Character {
  const c = world.byName.get(name);
  if (!c) throw new Error(`no character named "${name}" in the world`);
  return c;
}
