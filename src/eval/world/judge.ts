// The world judge: exact checks of a text against a request, from the text alone (the world's
// public lexicon says which words are names, species, places; src/eval/world/text.ts says what a
// sentence, a word and a quote are). A story request is checked on the slots it states, one check
// each (IFEval's "instructions"); a fact question has one check, its answer.
import { CLOSINGS, FOODS, NAMES, PLACES, SPECIES } from '../../data/world/lexicon.ts';
import type { FactAttribute, WorldRequest } from '../../data/world/requests.ts';
import { type Constraints, type Slot, statedSlots } from '../../data/world/spec.ts';
import { firstWord, hasQuotedUtterance, hasWord, lastSentence, mentions, sentences } from './text.ts';

export interface Check {
  /** The slot checked ('fact' for a fact question). */
  name: Slot | 'fact';
  ok: boolean;
}

export interface Verdict {
  checks: Check[];
  /** Every check met (IFEval's prompt-level strict). */
  all: boolean;
  met: number;
  total: number;
}

const PLACE_NOUNS = PLACES.map((p) => p.noun);

/** Whether `text` meets the one constraint `slot` of `c` (which must state it). */
export function checkSlot(c: Constraints, slot: Slot, text: string): boolean {
  switch (slot) {
    case 'hero':
      return mentions(text, NAMES, true)[0] === c.hero;
    case 'companion':
      return mentions(text, NAMES, true)[1] === c.companion;
    case 'species':
      return mentions(text, SPECIES)[0] === c.species;
    case 'place':
      return mentions(text, PLACE_NOUNS)[0] === c.place;
    case 'words':
      return c.words!.every((w) => hasWord(text, w));
    case 'firstWord':
      return firstWord(text).toLowerCase() === c.firstWord!.toLowerCase();
    case 'ending':
      return CLOSINGS[c.ending!].includes(lastSentence(text));
    case 'closing':
      return lastSentence(text) === c.closing;
    case 'sentences':
      return sentences(text).length === c.sentences;
    case 'dialogue':
      return hasQuotedUtterance(text) === c.dialogue;
  }
}

function verdict(checks: Check[]): Verdict {
  const met = checks.filter((k) => k.ok).length;
  return { checks, all: met === checks.length, met, total: checks.length };
}

/** The checks of a story request: one per stated slot. */
export function judgeStory(c: Constraints, text: string): Verdict {
  const slots = statedSlots(c);
  if (slots.length === 0) throw new Error('judgeStory: the request states no constraint');
  return verdict(slots.map((name) => ({ name, ok: checkSlot(c, name, text) })));
}

const VOCABULARY: Record<FactAttribute, readonly string[]> = { species: SPECIES, home: PLACE_NOUNS, food: FOODS };

/** A fact answer is right when the first word of the attribute's vocabulary it mentions is the true value. */
export function judgeFact(attribute: FactAttribute, value: string, text: string): Verdict {
  return verdict([{ name: 'fact', ok: mentions(text, VOCABULARY[attribute])[0] === value }]);
}

export function judge(request: WorldRequest, text: string): Verdict {
  return request.kind === 'story' ? judgeStory(request.constraints, text) : judgeFact(request.attribute, request.value, text);
}
