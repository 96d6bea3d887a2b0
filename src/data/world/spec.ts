// A story spec fixes every slot of a story; a request states some of them (its constraints), and
// the judge checks only those. Every slot is drawn uniformly and independently (the closing line
// uniformly within the ending's family), so the chance that a story meets another spec's
// constraint follows from the lexicon's sizes alone (src/eval/world/chance.ts).
import type { Rng } from '../../core/random.ts';
import { CLOSINGS, type Ending, ENDINGS, FIRST_WORDS, MAX_SENTENCES, MIN_SENTENCES, NAMES, PLACES, POOL, SPECIES } from './lexicon.ts';
import { type World, character, pick, pickDistinct } from './world.ts';

export interface StorySpec {
  /** The hero's name; the hero is the first character named. */
  hero: string;
  /** The friend's name; the second character named. */
  companion: string;
  /** A place noun. */
  place: string;
  /** 2 or 3 required words from the pool. */
  words: string[];
  firstWord: string;
  ending: Ending;
  /** One of CLOSINGS[ending]. */
  closing: string;
  sentences: number;
  dialogue: boolean;
}

/** What a request asks for: any subset of the slots (species stands for "a story about a fox"). */
export interface Constraints {
  hero?: string;
  species?: string;
  companion?: string;
  place?: string;
  words?: string[];
  firstWord?: string;
  ending?: Ending;
  closing?: string;
  sentences?: number;
  dialogue?: boolean;
}

export type Slot = keyof Constraints;
export const SLOTS: readonly Slot[] = [
  'hero',
  'species',
  'companion',
  'place',
  'words',
  'firstWord',
  'ending',
  'closing',
  'sentences',
  'dialogue',
];

/** Values a spec may not use (held out of the tuning sets). */
export interface Exclusions {
  names?: ReadonlySet<string>;
  places?: ReadonlySet<string>;
  words?: ReadonlySet<string>;
}

/** A uniformly drawn spec (uniform over the allowed values of each slot). */
export function randomSpec(world: World, rng: Rng, exclude: Exclusions = {}): StorySpec {
  const names = NAMES.filter((n) => !exclude.names?.has(n));
  const places = PLACES.map((p) => p.noun).filter((p) => !exclude.places?.has(p));
  const pool = POOL.filter((w) => !exclude.words?.has(w));
  const [hero, companion] = pickDistinct(names, 2, rng) as [string, string];
  character(world, hero);
  const ending = pick(ENDINGS, rng);
  return {
    hero,
    companion,
    place: pick(places, rng),
    words: pickDistinct(pool, 2 + rng.int(2), rng),
    firstWord: pick(FIRST_WORDS, rng),
    ending,
    closing: pick(CLOSINGS[ending], rng),
    sentences: MIN_SENTENCES + rng.int(MAX_SENTENCES - MIN_SENTENCES + 1),
    dialogue: rng.int(2) === 1,
  };
}

/** The spec's values for the given slots (species from the world). */
export function constraintsOf(world: World, spec: StorySpec, slots: readonly Slot[]): Constraints {
  const c: Constraints = {};
  for (const s of slots) {
    if (s === 'species') c.species = character(world, spec.hero).species;
    else if (s === 'words') c.words = [...spec.words];
    else (c as Record<string, unknown>)[s] = spec[s];
  }
  return c;
}

/** The slots a constraint set states, in SLOTS order. */
export function statedSlots(c: Constraints): Slot[] {
  return SLOTS.filter((s) => c[s] !== undefined);
}

/** A canonical key: equal keys, equal constraints (words as a set). */
export function constraintsKey(c: Constraints): string {
  return JSON.stringify(statedSlots(c).map((s) => [s, s === 'words' ? [...c.words!].sort() : c[s]]));
}

export function specKey(spec: StorySpec): string {
  return constraintsKey({ ...spec });
}

/** The names, place and words a spec's story contains (what held-out values are checked against). */
export function specValues(spec: StorySpec): { names: string[]; places: string[]; words: string[] } {
  return { names: [spec.hero, spec.companion], places: [spec.place], words: [...spec.words] };
}

/** Refuses a constraint set that names something outside the lexicon (a message per problem). */
export function checkConstraints(c: Constraints, where = 'constraints'): void {
  const bad: string[] = [];
  const names = new Set<string>(NAMES);
  if (c.hero !== undefined && !names.has(c.hero)) bad.push(`hero "${c.hero}" is not a name of the world`);
  if (c.companion !== undefined && !names.has(c.companion)) bad.push(`companion "${c.companion}" is not a name of the world`);
  if (c.species !== undefined && !(SPECIES as readonly string[]).includes(c.species))
    bad.push(`species "${c.species}" is not a species of the world`);
  if (c.place !== undefined && !PLACES.some((p) => p.noun === c.place)) bad.push(`place "${c.place}" is not a place of the world`);
  if (c.words !== undefined && (c.words.length === 0 || c.words.some((w) => !POOL.includes(w))))
    bad.push(`words ${JSON.stringify(c.words)} must be words of the pool`);
  if (c.firstWord !== undefined && !FIRST_WORDS.includes(c.firstWord))
    bad.push(`firstWord "${c.firstWord}" is not one of ${FIRST_WORDS.join(', ')}`);
  if (c.ending !== undefined && !ENDINGS.includes(c.ending)) bad.push(`ending "${c.ending}" is not happy or sad`);
  if (c.closing !== undefined && !ENDINGS.some((e) => CLOSINGS[e].includes(c.closing!)))
    bad.push(`closing "${c.closing}" is not a closing line of the world`);
  if (c.sentences !== undefined && !(Number.isInteger(c.sentences) && c.sentences >= 1))
    bad.push(`sentences ${c.sentences} is not a whole number >= 1`);
  if (c.dialogue !== undefined && typeof c.dialogue !== 'boolean') bad.push('dialogue must be true or false');
  if (bad.length) throw new Error(`${where}: ${bad.join('; ')}`);
}
