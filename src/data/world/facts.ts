// Facts about the world in several paraphrases each, and the documents that state them. A model
// can only answer questions about a character it has seen stated in varied forms (Allen-Zhu & Li,
// Physics of Language Models 3.1), so every fact has four phrasings and documents mix their order.
import type { Rng } from '../../core/random.ts';
import { PLACES, article } from './lexicon.ts';
import { FACT_ATTRIBUTES, type FactAttribute } from './requests.ts';
import { type Character, type World, pick, shuffled } from './world.ts';

const atOf = (noun: string) => PLACES.find((p) => p.noun === noun)!.at;
const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/** One statement of one fact about a character. */
export function factStatement(c: Character, attribute: FactAttribute, rng: Rng): string {
  const a = article(c.species);
  const at = atOf(c.home);
  const forms: Record<FactAttribute, string[]> = {
    species: [
      `${c.name} is ${a} ${c.species}.`,
      `${c.name} is a little ${c.species}.`,
      `${upperFirst(a)} ${c.species} named ${c.name} is known to many.`,
      `If you meet ${c.name}, you will see ${a} ${c.species}.`,
    ],
    home: [
      `${c.name} lives ${at}.`,
      `${c.name}'s home is ${at}.`,
      `You can find ${c.name} ${at}.`,
      `${upperFirst(at)} is where ${c.name} lives.`,
    ],
    food: [
      `${c.name} likes ${c.food}.`,
      `${c.name}'s favorite food is ${c.food}.`,
      `${c.name} loves to eat ${c.food}.`,
      `More than anything, ${c.name} likes to eat ${c.food}.`,
    ],
  };
  return pick(forms[attribute], rng);
}

/** A document stating facts: one character's three facts, or who lives in one place. */
export function factDocument(world: World, rng: Rng): string {
  if (rng.int(4) === 0) {
    const home = pick(world.characters, rng).home;
    const here = world.characters.filter((c) => c.home === home);
    const list = shuffled(here, rng).map((c) => `${c.name} the ${c.species}`);
    const who = list.length === 1 ? list[0]! : `${list.slice(0, -1).join(', ')} and ${list.at(-1)}`;
    return `${upperFirst(atOf(home))} live${list.length === 1 ? 's' : ''} ${who}.`;
  }
  const c = pick(world.characters, rng);
  const facts = shuffled(FACT_ATTRIBUTES, rng).map((attr) => factStatement(c, attr, rng));
  const intro = pick([`All about ${c.name}.`, `${c.name}.`, `Meet ${c.name}.`, ''], rng);
  return [intro, ...facts].filter((s) => s !== '').join(' ');
}
