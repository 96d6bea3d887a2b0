// Recall games: one character says a few words, another says them back, in the same order or a
// new one, sometimes after a line in between ("Lily said: ring, brave, swim. They walked to the
// river. Tom said them back: swim, ring, brave."). The world's other kinds seldom repeat a word
// verbatim, and a base pretrained on them copied no word of a request into its answer (docs/
// world.md, the copy lab: not even the next word of a repeated list, 1 of 120, chance 1.1). Text with
// verbatim repeats at varying distance and order is what lets attention learn to copy, as
// repeated text does for induction heads in ordinary pretraining. Corpus only: no story spec, no
// request.
import type { Rng } from '../../core/random.ts';
import { PLACES, POOL } from './lexicon.ts';
import { type World, pick, pickDistinct } from './world.ts';

export interface RecallRound {
  text: string;
  /** The words said, then the words said back (the same set). */
  said: readonly string[];
  back: readonly string[];
}

const list = (ws: readonly string[], rng: Rng): string =>
  rng.int(2) === 0 ? ws.join(', ') : `${ws.slice(0, -1).join(', ')} and ${ws.at(-1)}`;

/** One round: 2–5 pool words said, then said back (half the time in another order). */
export function recallRound(world: World, rng: Rng): RecallRound {
  const [a, b] = pickDistinct(world.characters, 2, rng).map((c) => c.name) as [string, string];
  const said = pickDistinct(POOL, 2 + rng.int(4), rng);
  const back = rng.int(2) === 0 ? said : pickDistinct(said, said.length, rng);
  const between = ['', ` They walked ${pick(PLACES, rng).to}.`, ` ${b} closed both eyes and thought.`, ` Then it was ${b}'s turn.`][
    rng.int(4)
  ];
  const intro = pick([`${a} said: `, `${a} called out `, `${a} wrote down `, `${a}'s words were `], rng);
  const reply = pick([`${b} said them back: `, `${b} remembered `, `${b} wrote `, `"${b}, say them," said ${a}. ${b} said `], rng);
  return { text: `${intro}${list(said, rng)}.${between} ${reply}${list(back, rng)}.`, said, back };
}

/** A memory game of 4–8 rounds. */
export function recallDocument(world: World, rng: Rng): string {
  const head = pick(['The memory game', 'Say it back', 'A game of words', 'Remember the words'], rng);
  const rounds = Array.from({ length: 4 + rng.int(5) }, () => recallRound(world, rng).text);
  return `${head}\n${rounds.join('\n')}`;
}
