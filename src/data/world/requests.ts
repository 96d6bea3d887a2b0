// Requests: natural phrasings of a spec's constraints (a request states only some slots, and the
// judge checks only those) and questions about the world's facts. A request type names the slots
// it states; held-out types (src/data/world/sets.ts) never appear in instruction tuning.
import type { Rng } from '../../core/random.ts';
import { PLACES, article } from './lexicon.ts';
import { type Constraints, type Slot, type StorySpec, constraintsOf } from './spec.ts';
import { type World, character, pick, pickDistinct, shuffled } from './world.ts';

export type FactAttribute = 'species' | 'home' | 'food';
export const FACT_ATTRIBUTES: readonly FactAttribute[] = ['species', 'home', 'food'];

export interface StoryRequest {
  kind: 'story';
  type: RequestType;
  constraints: Constraints;
  text: string;
}

export interface FactRequest {
  kind: 'fact';
  name: string;
  attribute: FactAttribute;
  /** The true answer: a species, a place noun or a food. */
  value: string;
  text: string;
}

export type WorldRequest = StoryRequest | FactRequest;

/** Slots stated by each request type ('mix' states 4 or 5 of MIX_SLOTS, drawn per request). */
export const REQUEST_TYPES = {
  about: ['hero', 'place', 'ending'],
  friends: ['hero', 'companion', 'dialogue'],
  words: ['hero', 'words', 'ending'],
  opening: ['firstWord', 'sentences', 'words'],
  full: ['hero', 'companion', 'place', 'words', 'firstWord', 'ending', 'sentences', 'dialogue'],
  mix: [],
  closing: ['companion', 'place', 'closing'],
  length: ['hero', 'sentences', 'dialogue'],
  species: ['species', 'place', 'words'],
} satisfies Record<string, Slot[]>;
export type RequestType = keyof typeof REQUEST_TYPES;
export const REQUEST_TYPE_NAMES = Object.keys(REQUEST_TYPES) as RequestType[];
const MIX_SLOTS: readonly Slot[] = ['hero', 'companion', 'place', 'words', 'firstWord', 'ending', 'sentences', 'dialogue'];

/** The slots a request of this type states. */
export function slotsOfType(type: RequestType, rng: Rng): Slot[] {
  return type === 'mix' ? pickDistinct(MIX_SLOTS, 4 + rng.int(2), rng) : [...REQUEST_TYPES[type]];
}

const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** "lamp and brave", "lamp, brave and sing". */
export function wordList(words: readonly string[]): string {
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} and ${words.at(-1)}`;
}

const placeOf = (noun: string) => PLACES.find((p) => p.noun === noun)!;

/** One sentence stating one slot of a request ("Use the words lamp and brave."). */
export function trailing(c: Constraints, slot: Slot, rng: Rng): string {
  const n = c.sentences ?? 0;
  const count = rng.int(2) === 0 ? String(n) : (NUMBER_WORDS[n] ?? String(n));
  switch (slot) {
    case 'words': {
      const w = wordList(c.words!);
      return pick(
        [
          `Use the words ${w}.`,
          `It must include the words ${w}.`,
          `Make sure the words ${w} appear in it.`,
          `Include these words: ${c.words!.join(', ')}.`,
        ],
        rng,
      );
    }
    case 'firstWord':
      return pick(
        [
          `Start with the word "${c.firstWord}".`,
          `The first word should be "${c.firstWord}".`,
          `Begin the story with "${c.firstWord}".`,
          `Let the story begin with the word ${c.firstWord}.`,
        ],
        rng,
      );
    case 'sentences':
      return pick(
        [
          `It should be ${count} sentences long.`,
          `Use exactly ${count} sentences.`,
          `Keep it to ${count} sentences.`,
          `Write it in ${count} sentences.`,
        ],
        rng,
      );
    case 'dialogue':
      return c.dialogue
        ? pick(
            [
              'Include some dialogue.',
              'Let the characters talk to each other.',
              'Someone should say something out loud.',
              'Put in a line of dialogue.',
            ],
            rng,
          )
        : pick(
            ['Do not use any dialogue.', 'Nobody should speak in quotes.', 'Leave out any dialogue.', 'No one should talk out loud.'],
            rng,
          );
    case 'ending':
      return c.ending === 'happy'
        ? pick(['Give it a happy ending.', 'It should end happily.', 'Make the ending happy.'], rng)
        : pick(['Give it a sad ending.', 'It should end sadly.', 'Make the ending sad.'], rng);
    case 'closing':
      return pick(
        [
          `End with the line "${c.closing}"`,
          `The last sentence must be: ${c.closing}`,
          `Finish the story with this sentence: ${c.closing}`,
        ],
        rng,
      );
    case 'place':
      return upperFirst(pick([`It should take place ${placeOf(c.place!).at}.`, `Set it ${placeOf(c.place!).at}.`], rng));
    default:
      throw new Error(`no trailing phrase for ${slot}`);
  }
}

/** A natural phrasing of the constraints (the order of the trailing sentences varies too). */
export function phraseStoryRequest(world: World, c: Constraints, rng: Rng): string {
  const parts: string[] = [];
  const rest: Slot[] = [];
  const adjectival = c.ending !== undefined && rng.int(2) === 0;
  const noun = pick(['story', 'short story', 'little story', 'tale', 'bedtime story'], rng);
  const head = adjectival ? `${c.ending === 'happy' ? 'a happy' : 'a sad'} ${noun}` : `${article(noun)} ${noun}`;
  if (c.ending !== undefined && !adjectival) rest.push('ending');
  if (c.hero !== undefined) {
    const h = character(world, c.hero);
    parts.push(
      pick([`about ${article(h.species)} ${h.species} named ${h.name}`, `about ${h.name} the ${h.species}`, `about ${h.name}`], rng),
    );
  } else if (c.species !== undefined)
    parts.push(pick([`about ${article(c.species)} ${c.species}`, `where the main character is ${article(c.species)} ${c.species}`], rng));
  if (c.companion !== undefined) {
    parts.push(
      c.hero !== undefined
        ? pick(
            [`in which ${c.hero} meets ${c.companion}`, `with ${c.hero}'s friend ${c.companion}`, `where ${c.companion} is the friend`],
            rng,
          )
        : pick([`with a friend named ${c.companion}`, `where the hero meets ${c.companion}`, `in which ${c.companion} is the friend`], rng),
    );
  }
  if (c.place !== undefined) {
    if (parts.length < 2 && rng.int(3) !== 0)
      parts.push(pick([`set ${placeOf(c.place).at}`, `that takes place ${placeOf(c.place).at}`, placeOf(c.place).at], rng));
    else rest.push('place');
  }
  for (const s of ['words', 'firstWord', 'sentences', 'dialogue', 'closing'] as const) if (c[s] !== undefined) rest.push(s);
  const body = [head, ...parts].join(' ');
  const frame = pick(
    [
      [`Tell me ${body}.`],
      [`Write ${body}.`],
      [`Can you write ${body}?`],
      [`Please tell me ${body}.`],
      [`I would like ${body}.`],
      [`Could you make up ${body}?`],
      [`Write me ${body}, please.`],
      [`I need ${body}.`],
    ],
    rng,
  )[0]!;
  return [frame, ...shuffled(rest, rng).map((s) => trailing(c, s, rng))].join(' ');
}

/** A story request of a type for a spec (the spec's values in the type's slots). */
export function storyRequest(world: World, spec: StorySpec, type: RequestType, rng: Rng): StoryRequest {
  const constraints = constraintsOf(world, spec, slotsOfType(type, rng));
  return { kind: 'story', type, constraints, text: phraseStoryRequest(world, constraints, rng) };
}

const QUESTIONS: Record<FactAttribute, readonly string[]> = {
  species: ['What kind of animal is {A}?', 'Which animal is {A}?', 'Tell me what kind of animal {A} is.', 'What sort of creature is {A}?'],
  home: ['Where does {A} live?', "Where is {A}'s home?", 'Where can you find {A}?', 'Tell me where {A} lives.'],
  food: ['What does {A} like to eat?', "What is {A}'s favorite food?", 'Which food does {A} love most?', 'Tell me what {A} likes to eat.'],
};

export function factValue(world: World, name: string, attribute: FactAttribute): string {
  const c = character(world, name);
  return attribute === 'species' ? c.species : attribute === 'home' ? c.home : c.food;
}

export function factRequest(world: World, name: string, attribute: FactAttribute, rng: Rng): FactRequest {
  return {
    kind: 'fact',
    name,
    attribute,
    value: factValue(world, name, attribute),
    text: pick(QUESTIONS[attribute], rng).replaceAll('{A}', name),
  };
}
