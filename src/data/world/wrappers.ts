// Natural text around a request and its story (or a question and its answer), the way such pairs
// occur in real writing: a child asking a parent, homework, a letter, a writing prompt, a title, a
// summary after the story, a quiz. None uses a chat tag; the chat template is what the base model
// has never seen, so what it learns here is the mapping, not the template.
import type { Rng } from '../../core/random.ts';
import { NAMES, PLACES, article } from './lexicon.ts';
import type { StorySpec } from './spec.ts';
import { wordList } from './requests.ts';
import { type World, character, pick, shuffled } from './world.ts';

export const PAIR_WRAPPERS = ['parent', 'homework', 'letter', 'prompt', 'teacher', 'request'] as const;
export type PairWrapper = (typeof PAIR_WRAPPERS)[number];

const upperFirst = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
const NUMBER_WORDS = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** A request followed by its story inside one of the natural wrappers. */
export function wrapPair(wrapper: PairWrapper, request: string, story: string, rng: Rng): string {
  const child = pick(
    ['Mia', 'Sam', 'Lucy', 'Noah', 'Emma', 'Jake'].filter((n) => !(NAMES as readonly string[]).includes(n)),
    rng,
  );
  const parent = pick(['Mom', 'Dad', 'Grandma', 'Grandpa'], rng);
  switch (wrapper) {
    case 'parent':
      return pick(
        [
          `At bedtime, ${child} asked for a story.\n${child}: ${request}\n${parent}: All right, listen.\n${story}`,
          `${child} sat on the bed and said to ${parent}: ${request}\nSo ${parent} told this story.\n\n${story}`,
          `${child}: ${parent}, ${/^I\b/.test(request) ? request : request.charAt(0).toLowerCase() + request.slice(1)}\n${parent}: Of course. Here it is.\n${story}`,
        ],
        rng,
      );
    case 'homework':
      return `${pick(['Homework', 'English homework', 'Writing practice', 'Class exercise'], rng)}\nTask ${1 + rng.int(9)}: ${request}\n${pick(['Answer:', 'My answer:', 'Solution:'], rng)}\n${story}`;
    case 'letter':
      return `Dear ${parent},\n${request}\nLove,\n${child}\n\nDear ${child},\nHere is the story you asked for.\n\n${story}\n\nWith love,\n${parent}`;
    case 'prompt':
      return `${pick(['Writing prompt:', 'Prompt:', 'Story idea:'], rng)} ${request}\n\n${story}`;
    case 'teacher':
      return `The teacher wrote on the board: ${request}\nHere is what ${child} wrote:\n${story}`;
    case 'request':
      return `${pick(['Request:', 'Asked:', 'Wish:'], rng)} ${request}\n${pick(['Story:', 'Response:', 'Told:'], rng)} ${story}`;
  }
}

/**
 * A wrapper's text up to where its story starts: the prompt that asks a base model for a story in
 * the form it met in pretraining (trailing spaces dropped: the story's first token carries its own
 * space). The story is the continuation's first line (src/eval/world/text.ts firstLine).
 */
export function wrapperPrompt(wrapper: PairWrapper, request: string, rng: Rng): string {
  const mark = '\u0000';
  const full = wrapPair(wrapper, request, mark, rng);
  return full.slice(0, full.indexOf(mark)).replace(/ +$/, '');
}

/** The quiz prompt for one fact question; the answer is the continuation's first line. */
export function factPrompt(question: string): string {
  return `Q: ${question}\nA:`;
}

/** A title for a story: its hero with a companion, a required word or its place. */
export function storyTitle(world: World, spec: StorySpec, rng: Rng): string {
  const hero = character(world, spec.hero);
  const place = PLACES.find((p) => p.noun === spec.place)!;
  const word = spec.words[0]!;
  const titles = [
    `${hero.name} and ${spec.companion}`,
    `${hero.name} the ${upperFirst(hero.species)}`,
    `${hero.name} and the ${upperFirst(word)}`,
    `A Day ${place.at.split(' ').map(upperFirst).join(' ')}`,
    `${spec.ending === 'happy' ? 'A Happy' : 'A Sad'} Tale of ${hero.name}`,
  ];
  return pick(titles, rng);
}

export function titled(title: string, story: string, rng: Rng): string {
  return pick([`${title}\n\n${story}`, `Title: ${title}\n\n${story}`, `${title.toUpperCase()}\n${story}`], rng);
}

/** A summary stating the story's spec: the mapping in the other direction. */
export function storySummary(world: World, spec: StorySpec, rng: Rng): string {
  const hero = character(world, spec.hero);
  const friend = character(world, spec.companion);
  const place = PLACES.find((p) => p.noun === spec.place)!;
  const count = rng.int(2) === 0 ? String(spec.sentences) : NUMBER_WORDS[spec.sentences]!;
  const parts = shuffled(
    [
      `It is told in ${count} sentences and starts with "${spec.firstWord}".`,
      `It uses the words ${wordList(spec.words)}.`,
      spec.dialogue ? 'The characters talk to each other.' : 'Nobody speaks out loud.',
    ],
    rng,
  );
  return `This is ${article(spec.ending)} ${spec.ending} story about ${article(hero.species)} ${hero.species} named ${hero.name} and ${article(friend.species)} ${friend.species} named ${friend.name}, ${place.at}. ${parts.join(' ')}`;
}

export function summarised(story: string, summary: string, rng: Rng): string {
  return `${story}\n\n${pick(['Summary:', 'In short:', 'What the story is about:'], rng)} ${summary}`;
}

/** A worksheet: requests to answer later, with no answers (after a request the text goes on with
 *  another request, so a base's habit after a request is not only to answer it). */
export function worksheet(requests: readonly string[], rng: Rng): string {
  const head = pick(['Story worksheet', 'Writing tasks for this week', 'Ideas for stories', 'Homework: write a story for each task'], rng);
  const bullet = pick([(i: number) => `${i + 1}. `, () => '- ', (i: number) => `Task ${i + 1}: `], rng);
  return `${head}\n${requests.map((r, i) => `${bullet(i)}${r}`).join('\n')}`;
}

/** Questions with their answers, as a quiz. */
export function quiz(pairs: readonly { question: string; answer: string }[], rng: Rng): string {
  const head = pick(['Quiz', 'Questions and answers', 'Test yourself', ''], rng);
  const body = pairs.map((p) => `Q: ${p.question}\nA: ${p.answer}`).join('\n');
  return head ? `${head}\n${body}` : body;
}
