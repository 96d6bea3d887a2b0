// Renders a spec as a short story. The text keeps the conventions the judge reads
// (src/eval/world/judge.ts): the first name is the hero's and the second the companion's, the
// first species word is the hero's, the only place word is the spec's, the only pool words are the
// required ones, the first word is the spec's, the last sentence is the closing line, a quoted
// utterance appears iff dialogue is asked for, and every sentence ends in . ! or ? (inside a
// closing quote when it ends one) followed by a space, with no other such mark inside it.
import type { Rng } from '../../core/random.ts';
import { ADJECTIVES, OBJECTS, OPENINGS, PLACES, type Place, article } from './lexicon.ts';
import type { StorySpec } from './spec.ts';
import { type StoryOrder, type World, character, pick, shuffled } from './world.ts';

const COMPANION = [
  '{A} had a friend, {b} {cs} named {B}.',
  "One of {A}'s friends was {b} {cs} called {B}.",
  'Soon {A} met {b} {cs} named {B}.',
  '{A} had a good friend named {B}, who was {b} {cs}.',
  'Not far away lived {b} {cs} named {B}, and {A} liked to visit.',
];
const COMPANION_PLACE = [
  '{A} and a friend, {b} {cs} named {B}, went {to}.',
  'Together with {b} {cs} named {B}, {A} went {to}.',
  '{A} met {b} {cs} named {B} {at}.',
  '{A} and {B} the {cs} spent the day {at}.',
];
const PLACE = ['{A} lived {at}.', '{A} went {to}.', 'That day, {A} was {at}.', '{A} liked to spend time {at}.'];

const OBJECT_SENTENCE = [
  'On the path, {X} found {w}.',
  '{X} carried {w} everywhere.',
  '{X} showed {Y} {w}.',
  'There was {w} next to {X}.',
  '{X} gave {Y} {w} as a gift.',
];
const ADJECTIVE_SENTENCE = [
  '{X} felt very {w} that day.',
  'Everyone knew that {X} was {w}.',
  '{Y} thought that {X} was {w}.',
  'All morning, {X} was {w}.',
];
const VERB_SENTENCE = [
  '{X} wanted to {w} all day.',
  '{X} and {Y} decided to {w}.',
  'More than anything, {X} loved to {w}.',
  '{Y} taught {X} how to {w}.',
];
const OBJECT_CLAUSE = ['{X} found {w}', '{X} saw {w}', '{X} picked up {w}'];
const ADJECTIVE_CLAUSE = ['{X} felt {w}', '{X} was very {w}'];
const VERB_CLAUSE = ['{X} wanted to {w}', '{X} loved to {w}', '{X} learned to {w}'];
const CLAUSE_PREFIX = ['', 'That day, ', 'Later, ', 'Before long, '];

/** Sentences that carry no slot; a 'planned' story takes them from the start, in this order. */
export const FILLERS: readonly string[] = [
  'The sun was high in the sky.',
  '{A} and {B} walked for a long time.',
  'They sat down to rest under a tall tree.',
  '{B} told {A} a funny joke.',
  'Soon the wind began to blow.',
  '{A} looked up at the clouds.',
  'After a while, they stopped for a snack.',
  '{B} pointed at something far away.',
  'The air smelled fresh and sweet.',
  '{A} took a deep breath.',
  'They heard a noise behind them.',
  '{B} ran ahead to look around.',
  '{A} waited for {B} to catch up.',
  'It was a quiet afternoon.',
  'Then they turned a corner.',
  '{A} and {B} talked about many things.',
  'Birds were singing in the trees.',
  'The path was long and narrow.',
  '{B} had a good idea.',
  '{A} and {B} sat together and rested.',
];
const MOOD: Record<StorySpec['ending'], string[]> = {
  happy: ['{B} gave {A} a big hug.', '{A} smiled from ear to ear.', 'They were both very glad.', '{A} and {B} cheered.'],
  sad: ['{A} began to cry.', 'Then {B} had to go far away.', '{A} felt a tear roll down.', 'The day had gone all wrong.'],
};
const SAYS = ['{X} said, "{u}"', '"{c}," said {X}.', '{X} asked {Y}, "{q}"', '{X} shouted, "{u}"'];
const UTTERANCES = [
  "Let's go and play!",
  'Come with me, {Y}!',
  'What a lovely day!',
  'I am so glad you are here.',
  'Look over there!',
  'We can do this together.',
  'Stay close to me, {Y}.',
];
const QUESTIONS = ['Do you want to come along?', 'Where are we going?', 'Can you hear that?', 'Are you coming with me?'];
const COMMA_UTTERANCES = ["Let's go and play", 'We can do this together', 'Look over there', 'Stay close to me, {Y}', 'This is fun'];

function fill(template: string, vars: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, k: string) => {
    const v = vars[k];
    if (v === undefined) throw new Error(`story template ${JSON.stringify(template)}: no value for ${m}`);
    return v;
  });
}

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

type WordKind = 'object' | 'adjective' | 'verb';
function kindOf(w: string): WordKind {
  if ((OBJECTS as readonly string[]).includes(w)) return 'object';
  if ((ADJECTIVES as readonly string[]).includes(w)) return 'adjective';
  return 'verb';
}

/** "a lamp" for objects, the word itself otherwise. */
const wordPhrase = (w: string) => (kindOf(w) === 'object' ? `${article(w)} ${w}` : w);

/** One sentence holding every word of `words` (1–3 pool words), said of characters a and b. */
export function wordSentence(words: readonly string[], a: string, b: string, rng: Rng): string {
  const who = () => (rng.int(2) === 0 ? { X: a, Y: b } : { X: b, Y: a });
  if (words.length === 1) {
    const w = words[0]!;
    const t = pick(kindOf(w) === 'object' ? OBJECT_SENTENCE : kindOf(w) === 'adjective' ? ADJECTIVE_SENTENCE : VERB_SENTENCE, rng);
    return upperFirst(fill(t, { ...who(), w: wordPhrase(w) }));
  }
  // of two clauses, a second with the first's subject drops it ("Pip found a lamp and felt brave")
  let previous = '';
  const clauses = words.map((w) => {
    const v = who();
    const t = pick(kindOf(w) === 'object' ? OBJECT_CLAUSE : kindOf(w) === 'adjective' ? ADJECTIVE_CLAUSE : VERB_CLAUSE, rng);
    const same = words.length === 2 && v.X === previous;
    previous = v.X;
    return fill(same ? t.replace('{X} ', '') : t, { ...v, w: wordPhrase(w) });
  });
  const joined = clauses.length === 2 ? `${clauses[0]} and ${clauses[1]}` : `${clauses.slice(0, -1).join(', ')}, and ${clauses.at(-1)}`;
  return upperFirst(`${pick(CLAUSE_PREFIX, rng)}${joined}.`);
}

function dialogueSentence(a: string, b: string, rng: Rng): string {
  const [X, Y] = rng.int(2) === 0 ? [a, b] : [b, a];
  const vars = { X, Y, u: fill(pick(UTTERANCES, rng), { Y }), q: pick(QUESTIONS, rng), c: fill(pick(COMMA_UTTERANCES, rng), { Y }) };
  return fill(pick(SAYS, rng), vars);
}

/** Splits `words` into `groups` non-empty runs, keeping the order. */
function groupWords(words: readonly string[], groups: number, rng: Rng): string[][] {
  const cuts = shuffled(
    words.slice(1).map((_, i) => i + 1),
    rng,
  )
    .slice(0, groups - 1)
    .sort((x, y) => x - y);
  const out: string[][] = [];
  let start = 0;
  for (const c of [...cuts, words.length]) {
    out.push(words.slice(start, c));
    start = c;
  }
  return out;
}

/** The place of a noun and the openings of a first word; `who` names the caller in a refusal. */
function placeNamed(noun: string, who: string): Place {
  const where = PLACES.find((p) => p.noun === noun);
  if (!where) throw new Error(`${who}: unknown place "${noun}"`);
  return where;
}
function openingsOf(firstWord: string, who: string): readonly string[] {
  const openings = OPENINGS[firstWord];
  if (!openings) throw new Error(`${who}: no opening starts with "${firstWord}"`);
  return openings;
}

/** A story's opening sentence for a first word, with this hero (its species) and place. */
export function openingSentence(world: World, firstWord: string, hero: string, place: string, rng: Rng): string {
  const h = character(world, hero);
  const where = placeNamed(place, 'openingSentence');
  const openings = openingsOf(firstWord, 'openingSentence');
  return fill(pick(openings, rng), { A: h.name, a: article(h.species), s: h.species, at: where.at, to: where.to });
}

/** The story of a spec; `rng` picks among the grammar's variants. A 'planned' story draws from
 *  its own stream and then advances `rng` as a shuffled one would, so a caller that draws a fixed
 *  number of rows (the tuning sets, the evaluation items) draws the same specs and requests in
 *  both orders. The corpus is not such a caller: it picks each document's kind from the tokens
 *  written so far, and planned stories have other lengths, so its documents diverge (the same
 *  distribution, other draws). */
export function renderStory(world: World, spec: StorySpec, rng: Rng): string {
  if (world.stories === 'planned') {
    const own = rng.peekFork(0x91a2);
    tell(world, spec, rng, 'shuffled');
    return tell(world, spec, own, 'planned');
  }
  return tell(world, spec, rng, 'shuffled');
}

function tell(world: World, spec: StorySpec, rng: Rng, order: StoryOrder): string {
  const hero = character(world, spec.hero);
  const friend = character(world, spec.companion);
  const where = placeNamed(spec.place, 'renderStory');
  const vars = {
    A: hero.name,
    B: friend.name,
    a: article(hero.species),
    s: hero.species,
    b: article(friend.species),
    cs: friend.species,
    at: where.at,
    to: where.to,
  };
  const openings = openingsOf(spec.firstWord, 'renderStory');
  const opening = pick(openings, rng);
  const openerHasPlace = /\{(at|to)\}/.test(opening);
  if (order === 'planned') return plannedStory(spec, opening, openerHasPlace, vars, rng);

  // the fixed sentences: opening, companion (maybe with the place), one sentence of words,
  // dialogue, closing; what is left of the count goes to splitting the words, a separate place
  // sentence, a mood sentence and fillers
  let slack = spec.sentences - (4 + (spec.dialogue ? 1 : 0));
  if (slack < 0) throw new Error(`renderStory: ${spec.sentences} sentences cannot hold a story${spec.dialogue ? ' with dialogue' : ''}`);
  const head = [fill(opening, vars)];
  if (openerHasPlace) head.push(fill(pick(COMPANION, rng), vars));
  else if (slack > 0 && rng.int(2) === 0) {
    slack--;
    head.push(fill(pick(PLACE, rng), vars), fill(pick(COMPANION, rng), vars));
  } else head.push(fill(pick(COMPANION_PLACE, rng), vars));

  const groups = 1 + rng.int(Math.min(spec.words.length - 1, slack) + 1);
  slack -= groups - 1;
  const middle = groupWords(spec.words, groups, rng).map((g) => wordSentence(g, hero.name, friend.name, rng));
  if (spec.dialogue) middle.push(dialogueSentence(hero.name, friend.name, rng));
  const tail: string[] = [];
  if (slack > 0 && rng.int(4) !== 0) {
    slack--;
    tail.push(fill(pick(MOOD[spec.ending], rng), vars));
  }
  for (const f of shuffled(FILLERS, rng).slice(0, slack)) middle.push(fill(f, vars));
  return [...head, ...shuffled(middle, rng), ...tail, spec.closing].join(' ');
}

/**
 * The 'planned' order: every story of a spec has the same plan, so which sentence comes next
 * follows from the request and the sentences written so far, never from a shuffle. Opening,
 * companion (with the place unless the opening has it), the words in one sentence, the dialogue,
 * then `sentences - 4 - dialogue - 1` fillers taken from the start of FILLERS in its order (none
 * ever follows itself or a later one, so a greedy decoder has no filler loop to fall into, and
 * the last filler's identity says how many came before), the mood sentence when there is room,
 * and the closing line. Variety is left to the templates of each sentence.
 */
function plannedStory(
  spec: StorySpec,
  opening: string,
  openerHasPlace: boolean,
  vars: { A: string; B: string; [k: string]: string },
  rng: Rng,
): string {
  let slack = spec.sentences - (4 + (spec.dialogue ? 1 : 0));
  if (slack < 0) throw new Error(`renderStory: ${spec.sentences} sentences cannot hold a story${spec.dialogue ? ' with dialogue' : ''}`);
  const out = [fill(opening, vars), fill(pick(openerHasPlace ? COMPANION : COMPANION_PLACE, rng), vars)];
  out.push(wordSentence(spec.words, vars.A, vars.B, rng));
  if (spec.dialogue) out.push(dialogueSentence(vars.A, vars.B, rng));
  const mood = slack > 0 ? fill(pick(MOOD[spec.ending], rng), vars) : undefined;
  if (mood) slack--;
  if (slack > FILLERS.length) throw new Error(`renderStory: ${spec.sentences} sentences need more than the ${FILLERS.length} fillers`);
  for (const f of FILLERS.slice(0, slack)) out.push(fill(f, vars));
  if (mood) out.push(mood);
  out.push(spec.closing);
  return out.join(' ');
}
