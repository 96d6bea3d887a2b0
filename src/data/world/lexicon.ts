// The story world's public vocabulary. Every list is closed and the lists are pairwise disjoint
// (test/data/world-lexicon.test.ts), because the judge decides each constraint by finding these
// words in a text: a name, species, place or required word can only be read as one thing, and the
// grammar's own filler words never collide with a word a request can ask for.

/** Character names (capitalised; the judge matches them case-sensitively). */
export const NAMES = [
  'Pip', 'Tom', 'Lily', 'Max', 'Sam', 'Mia', 'Ben', 'Sue', 'Tim', 'Ann',
  'Bob', 'Zoe', 'Leo', 'Kim', 'Dot', 'Finn', 'Ruby', 'Rosa', 'Jack', 'Nell',
  'Otto', 'Ivy', 'Gus', 'Lola', 'Rex', 'Tess', 'Hugo', 'Ella', 'Milo', 'Nora',
  'Bruno', 'Daisy', 'Oscar', 'Hazel', 'Toby', 'Luna', 'Felix', 'Poppy', 'Jasper', 'Wren',
] as const;

/** Animal kinds a character can be (singular; each is one word). */
export const SPECIES = [
  'fox', 'rabbit', 'bear', 'owl', 'mouse', 'cat', 'dog', 'frog', 'duck', 'goat',
] as const;

export interface Place {
  /** The noun the judge looks for. */
  noun: string;
  /** Where someone is: "by the river". */
  at: string;
  /** Where someone goes: "down to the river". */
  to: string;
}

const place = (noun: string, prep: string, toPrep = 'to'): Place => ({ noun, at: `${prep} the ${noun}`, to: `${toPrep} the ${noun}` });

export const PLACES: readonly Place[] = [
  place('river', 'by', 'down to'), place('forest', 'in', 'into'), place('hill', 'on', 'up'), place('farm', 'on'),
  place('lake', 'by'), place('garden', 'in', 'into'), place('town', 'in', 'into'), place('beach', 'on', 'down to'),
  place('meadow', 'in', 'across'), place('cave', 'in', 'into'), place('village', 'in'), place('park', 'in'),
  place('pond', 'by'), place('mountain', 'on', 'up'), place('island', 'on'), place('valley', 'in', 'down into'),
  place('swamp', 'in', 'into'), place('orchard', 'in'), place('harbor', 'at'), place('desert', 'in', 'across'),
];

/** Things a story can be asked to mention (with their indefinite article). */
export const OBJECTS = [
  'lamp', 'ball', 'kite', 'hat', 'box', 'key', 'cake', 'boat', 'drum', 'book',
  'apple', 'bell', 'rope', 'cup', 'shell', 'stone', 'flower', 'leaf', 'map', 'coin',
  'star', 'candle', 'basket', 'blanket', 'feather', 'ladder', 'wagon', 'whistle', 'umbrella', 'sock',
  'scarf', 'spoon', 'mirror', 'clock', 'button', 'ribbon', 'balloon', 'puzzle', 'trumpet', 'pillow',
  'bucket', 'shovel', 'pebble', 'acorn', 'jar', 'ring', 'crown', 'sandwich', 'pencil', 'bicycle',
  'lantern', 'violin', 'nest', 'egg', 'net', 'jacket', 'boot', 'marble', 'teapot', 'envelope',
] as const;

/** Qualities a story can be asked to use ("Pip felt brave."). */
export const ADJECTIVES = [
  'brave', 'clever', 'gentle', 'proud', 'sleepy', 'hungry', 'curious', 'shy', 'silly', 'lucky',
  'grumpy', 'cheerful', 'bold', 'calm', 'busy', 'eager', 'polite', 'honest', 'patient', 'jolly',
  'nervous', 'careful', 'friendly', 'lonely', 'playful', 'wise', 'fierce', 'clumsy', 'humble', 'thirsty',
] as const;

/** Actions a story can be asked to use, in the base form ("Pip wanted to dance."). */
export const VERBS = [
  'dance', 'sing', 'swim', 'climb', 'paint', 'whisper', 'juggle', 'skip', 'bake', 'fish',
  'knit', 'hop', 'race', 'dig', 'explore', 'wander', 'hide', 'count', 'read', 'build',
] as const;

/** Every word a request can require: objects, adjectives and verbs. */
export const POOL: readonly string[] = [...OBJECTS, ...ADJECTIVES, ...VERBS];

/** What characters like to eat (facts only; never in stories). */
export const FOODS = [
  'honey', 'berries', 'carrots', 'cheese', 'nuts', 'seeds', 'pears', 'plums', 'grapes', 'corn',
  'peas', 'oats', 'jam', 'soup', 'bread', 'cookies', 'cherries', 'lettuce', 'pumpkin', 'muffins',
] as const;

/** Opening words and the story openings that start with them. `{a}` is the article of the hero's
 *  species, `{s}` the species, `{A}` the hero; `{at}`/`{to}` mark an opening that also sets the place. */
export const OPENINGS: Record<string, readonly string[]> = {
  Once: ['Once upon a time, there was {a} {s} named {A}.', 'Once upon a time, {a} {s} named {A} lived {at}.', 'Once, a little {s} called {A} went {to}.'],
  One: ['One day, {a} {s} named {A} woke up early.', 'One sunny morning, {a} {s} named {A} went {to}.', 'One evening, {a} {s} called {A} sat alone {at}.'],
  Long: ['Long ago, {a} {s} named {A} lived {at}.', 'Long ago, there lived {a} {s} called {A}.', 'Long before anyone can remember, {a} {s} named {A} made a home {at}.'],
  There: ['There was once {a} {s} named {A}.', 'There once lived {a} {s} called {A} {at}.', 'There was a little {s} named {A} who lived {at}.'],
  Every: ['Every morning, {a} {s} named {A} went for a walk.', 'Every day, {a} {s} called {A} played {at}.', 'Every spring, {a} {s} named {A} went {to}.'],
  Early: ['Early one morning, {a} {s} named {A} opened the door.', 'Early one day, {a} {s} called {A} set off {to}.', 'Early in the spring, {a} {s} named {A} lived {at}.'],
};

export const FIRST_WORDS: readonly string[] = Object.keys(OPENINGS);

/** Closing lines: the ending of a story is the family its last sentence belongs to. */
export const HAPPY_CLOSINGS = [
  'And they lived happily ever after.',
  'It was the best day ever.',
  'Everyone went home with a big smile.',
  'From that day on, they were the best of friends.',
  'They laughed all the way home.',
  'And the sun shone warm and bright.',
] as const;

export const SAD_CLOSINGS = [
  'And they never saw each other again.',
  'It was the saddest day of all.',
  'Nobody smiled that night.',
  'The rain kept falling until dark.',
  'They walked home alone in the cold.',
  'And nothing was ever the same again.',
] as const;

export type Ending = 'happy' | 'sad';
export const ENDINGS: readonly Ending[] = ['happy', 'sad'];
export const CLOSINGS: Record<Ending, readonly string[]> = { happy: HAPPY_CLOSINGS, sad: SAD_CLOSINGS };

/** Sentence counts a story can have. */
export const MIN_SENTENCES = 5;
export const MAX_SENTENCES = 9;

/** "a" or "an" before a word. */
export function article(word: string): string {
  return /^[aeiou]/i.test(word) && !/^(eu|one|uni)/i.test(word) ? 'an' : 'a';
}

/** Lexicon sizes, for the docs and the chance formulas. */
export function lexiconSizes(): Record<string, number> {
  return {
    names: NAMES.length, species: SPECIES.length, places: PLACES.length, objects: OBJECTS.length,
    adjectives: ADJECTIVES.length, verbs: VERBS.length, pool: POOL.length, foods: FOODS.length,
    firstWords: FIRST_WORDS.length, closings: HAPPY_CLOSINGS.length + SAD_CLOSINGS.length,
    sentenceCounts: MAX_SENTENCES - MIN_SENTENCES + 1,
  };
}
