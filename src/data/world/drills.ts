// Drills: a practice sheet of short tasks with their answers, one sentence or two each ("Use the
// words ring and violin." then "Tom found a ring and Kim loved to violin."). A story request's
// required words and first word share no left context with the story that carries them ("the
// words ring and violin" / "found a ring"), so nothing copies them for free; drills put the
// request's own phrasing next to the sentence that answers it, many times a document, so a base
// can learn which word a request asks for (docs/world.md, calibration attempt 5). Corpus only:
// drills hold no story spec and no request of the tuning or evaluation sets.
import type { Rng } from '../../core/random.ts';
import { openingSentence, wordSentence } from './grammar.ts';
import { FIRST_WORDS, PLACES, POOL } from './lexicon.ts';
import { trailing } from './requests.ts';
import type { Constraints } from './spec.ts';
import { type World, pick, pickDistinct } from './world.ts';

export interface DrillTask {
  /** What the task asks, in the requests' own phrasing. */
  task: string;
  /** A text that does it. */
  answer: string;
  /** The words it asks for and the first word, if any (for the tests). */
  words: readonly string[];
  firstWord?: string;
}

/** One task: required words (2–3, as a request asks), a first word, or both. */
export function drillTask(world: World, rng: Rng): DrillTask {
  const [a, b] = pickDistinct(world.characters, 2, rng).map((c) => c.name) as [string, string];
  const form = rng.int(10); // 0–4 words only, 5–6 first word only, 7–9 both
  const words = form <= 4 || form >= 7 ? pickDistinct(POOL, 2 + rng.int(2), rng) : [];
  const firstWord = form >= 5 ? pick(FIRST_WORDS, rng) : undefined;
  const c: Constraints = { ...(words.length ? { words } : {}), ...(firstWord ? { firstWord } : {}) };
  const asks = [...(firstWord ? [trailing(c, 'firstWord', rng)] : []), ...(words.length ? [trailing(c, 'words', rng)] : [])];
  const answer = [
    ...(firstWord ? [openingSentence(world, firstWord, a, pick(PLACES, rng).noun, rng)] : []),
    ...(words.length ? [wordSentence(words, a, b, rng)] : []),
  ].join(' ');
  return { task: asks.join(' '), answer, words, ...(firstWord ? { firstWord } : {}) };
}

/** A practice sheet of 4–8 tasks, each followed by its answer. */
export function drillDocument(world: World, rng: Rng): string {
  const head = pick(['Sentence practice', 'Warm-up exercises', 'Practice: write what each task asks for.', 'Word practice'], rng);
  const style = rng.int(3);
  const tasks = Array.from({ length: 4 + rng.int(5) }, () => drillTask(world, rng));
  const lines = tasks.map((t, i) =>
    style === 0
      ? `${i + 1}. ${t.task}\n${t.answer}`
      : style === 1
        ? `Task ${i + 1}: ${t.task}\nAnswer: ${t.answer}`
        : `- ${t.task} ${t.answer}`,
  );
  return `${head}\n${lines.join('\n')}`;
}
