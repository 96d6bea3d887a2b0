// The world judge: its text rules on hand-made cases, judge ∘ render (every rendered story meets
// every constraint of its spec, and every request made from it), violations caught, the chance
// rates as the design implies, and the measures.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { renderStory } from '../../src/data/world/grammar.ts';
import { HAPPY_CLOSINGS, NAMES, PLACES, POOL, SAD_CLOSINGS, SPECIES } from '../../src/data/world/lexicon.ts';
import { REQUEST_TYPE_NAMES, factRequest, FACT_ATTRIBUTES, storyRequest, type WorldRequest } from '../../src/data/world/requests.ts';
import { factStatement } from '../../src/data/world/facts.ts';
import { SLOTS, constraintsOf, randomSpec, type StorySpec } from '../../src/data/world/spec.ts';
import { buildWorld, character } from '../../src/data/world/world.ts';
import { chanceTable, designChance, measureChance } from '../../src/eval/world/chance.ts';
import { judge, judgeFact, judgeStory } from '../../src/eval/world/judge.ts';
import {
  exactPreferences,
  instructionLevel,
  otherIndices,
  promptLevel,
  semanticScore,
  worldScores,
} from '../../src/eval/world/measures.ts';
import { firstLine, firstWord, hasQuotedUtterance, lastSentence, mentions, sentences } from '../../src/eval/world/text.ts';
import { PAIR_WRAPPERS, factPrompt, wrapPair, wrapperPrompt } from '../../src/data/world/wrappers.ts';
import { CHAT_TAGS } from '../../src/data/world/corpus.ts';
import { headToHead } from '../../src/eval/metrics.ts';

const world = buildWorld(0);

describe('world text rules', () => {
  it('splits sentences at . ! ? before whitespace or the end, quotes kept with their sentence', () => {
    expect(sentences('One day, Pip ran. Tom said, "Look at that!" They   went home.')).toEqual([
      'One day, Pip ran.',
      'Tom said, "Look at that!"',
      'They went home.',
    ]);
    expect(sentences('"Let\'s go," said Pip. Is it 3.5 km? Yes')).toEqual(['"Let\'s go," said Pip.', 'Is it 3.5 km?', 'Yes']);
    expect(sentences('')).toEqual([]);
    expect(sentences(' ... ')).toEqual([]);
    expect(lastSentence('A b. It was the best day ever.\n')).toBe('It was the best day ever.');
  });
  it('reads first words, mentions in order, quoted utterances', () => {
    expect(firstWord('  "Once," he said')).toBe('Once');
    expect(firstWord('123')).toBe('');
    expect(mentions("Tom's friend Pip met Tom and pip", ['Pip', 'Tom', 'Ann'], true)).toEqual(['Tom', 'Pip']);
    expect(mentions('the Rivers and the river', ['river'])).toEqual(['river']);
    expect(mentions('rivers', ['river'])).toEqual([]);
    expect(hasQuotedUtterance('He said, "Hi there."')).toBe(true);
    expect(hasQuotedUtterance('He said, \u201cHi.\u201d')).toBe(true);
    expect(hasQuotedUtterance('A 5" nail.')).toBe(false);
    expect(hasQuotedUtterance('"" and "..."')).toBe(false);
    expect(hasQuotedUtterance('No quotes here.')).toBe(false);
  });
});

// both story orders (the same characters: the order changes only how a story is told)
const planned = buildWorld(0, 'planned');
const specArb = fc.tuple(fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.boolean()).map(([seed, plan]) => {
  const rng = new Rng(seed);
  const spec = randomSpec(world, rng);
  return { seed, spec, story: renderStory(plan ? planned : world, spec, rng), rng };
});

describe('judge ∘ render', () => {
  it('every rendered story meets every constraint of its spec, and of every request made from it', () => {
    fc.assert(
      fc.property(specArb, ({ spec, story, rng }) => {
        const v = judgeStory(constraintsOf(world, spec, SLOTS), story);
        expect(v.checks.filter((c) => !c.ok)).toEqual([]);
        for (const type of REQUEST_TYPE_NAMES) expect(judge(storyRequest(world, spec, type, rng), story).all).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('a story names exactly its two characters, its place and its words; the hero and its species first', () => {
    fc.assert(
      fc.property(specArb, ({ spec, story }) => {
        expect(mentions(story, NAMES, true)).toEqual([spec.hero, spec.companion]);
        expect(
          mentions(
            story,
            PLACES.map((p) => p.noun),
          ),
        ).toEqual([spec.place]);
        expect(new Set(mentions(story, POOL))).toEqual(new Set(spec.words));
        const species = mentions(story, SPECIES);
        expect(species[0]).toBe(character(world, spec.hero).species);
        expect(new Set(species)).toEqual(new Set([character(world, spec.hero).species, character(world, spec.companion).species]));
      }),
      { numRuns: 300 },
    );
  });

  it('catches violations: wrong ending, missing word, extra sentence, quotes removed or added, other first word', () => {
    fc.assert(
      fc.property(specArb, ({ spec, story }) => {
        const c = constraintsOf(world, spec, SLOTS);
        const failing = (text: string) =>
          judgeStory(c, text)
            .checks.filter((k) => !k.ok)
            .map((k) => k.name)
            .sort();
        const other = (spec.ending === 'happy' ? SAD_CLOSINGS : HAPPY_CLOSINGS)[0];
        expect(failing(story.replace(spec.closing, other))).toEqual(['closing', 'ending']);
        const w = spec.words[0]!;
        expect(failing(story.replace(new RegExp(`\\b${w}\\b`, 'g'), 'thing'))).toEqual(['words']);
        expect(failing(story.replace(spec.closing, `The end came. ${spec.closing}`))).toEqual(['sentences']);
        const flipped = spec.dialogue ? story.replaceAll('"', '') : story.replace(spec.hero, `"${spec.hero}"`);
        expect(failing(flipped)).toEqual(['dialogue']);
        expect(failing(`Then ${story.charAt(0).toLowerCase()}${story.slice(1)}`)).toEqual(['firstWord']);
      }),
      { numRuns: 100 },
    );
  });

  it("fact answers: the grammar's statements are right, another value is wrong", () => {
    const rng = new Rng(3);
    for (let i = 0; i < 300; i++) {
      const c = world.characters[i % world.characters.length]!;
      const q = factRequest(world, c.name, FACT_ATTRIBUTES[i % 3]!, rng);
      expect(judge(q, factStatement(c, q.attribute, rng)).all).toBe(true);
      const d = world.characters.find((x) => factRequest(world, x.name, q.attribute, rng).value !== q.value)!;
      expect(judgeFact(q.attribute, q.value, factStatement(d, q.attribute, rng).replaceAll(d.name, c.name)).all).toBe(false);
    }
  });
});

describe('chance rates', () => {
  it('each check passes a random other spec at the rate the design implies', () => {
    const n = 3000;
    const m = measureChance(world, n, 11);
    const d = designChance();
    for (const s of SLOTS) {
      expect(m.own[s]).toBeCloseTo(1, 9);
      const se = Math.sqrt((d[s] * (1 - d[s])) / n);
      expect(Math.abs(m.rate[s] - d[s]), `${s}: measured ${m.rate[s]}, design ${d[s]}`).toBeLessThan(4.5 * se + 1e-3);
    }
    expect(d.hero).toBeCloseTo(1 / 40);
    expect(d.species).toBeCloseTo(1 / 10);
    expect(d.dialogue).toBe(0.5);
    expect(chanceTable(m)).toMatch(/\| ending \| 50\.0% \|/);
  });
});

describe('measures', () => {
  const rng = new Rng(5);
  const items: { request: WorldRequest; spec: StorySpec; story: string }[] = [];
  for (let i = 0; i < 200; i++) {
    const spec = randomSpec(world, rng);
    items.push({
      spec,
      request: storyRequest(world, spec, REQUEST_TYPE_NAMES[i % REQUEST_TYPE_NAMES.length]!, rng),
      story: renderStory(world, spec, rng),
    });
  }
  const requests = items.map((x) => x.request);

  it('prompt- and instruction-level accuracy as IFEval pools them', () => {
    const v = [judgeStory({ hero: 'Pip', dialogue: true }, 'Pip ran.'), judgeStory({ hero: 'Pip', dialogue: false }, 'Pip ran.')];
    expect(promptLevel(v)).toBe(0.5);
    expect(instructionLevel(v)).toBe(0.75);
    expect(promptLevel(items.map((x) => judge(x.request, x.story)))).toBe(1);
  });

  it('otherIndices: never the item itself, always the same kind, uniform-ish', () => {
    const mixed: WorldRequest[] = [
      ...requests.slice(0, 20),
      factRequest(world, 'Pip', 'home', rng),
      factRequest(world, 'Tom', 'food', rng),
    ];
    const o = otherIndices(mixed, 1);
    o.forEach((j, i) => {
      expect(j).not.toBe(i);
      expect(mixed[j]!.kind).toBe(mixed[i]!.kind);
    });
    expect(otherIndices([factRequest(world, 'Pip', 'home', rng)], 0)).toEqual([-1]);
  });

  it("semantic score: the grammar's own stories score high; one generic story scores about 0", () => {
    const good = semanticScore(
      requests,
      items.map((x) => x.story),
      { seed: 2 },
    );
    expect(good.own).toBe(1);
    expect(good.score).toBeGreaterThan(0.85);
    expect(good.diffs).toHaveLength(200);
    const generic = semanticScore(
      requests,
      items.map(() => items[0]!.story),
      { seed: 2, level: 'instruction' },
    );
    expect(Math.abs(generic.score)).toBeLessThan(0.08);
  });

  it('worldScores: overall and per group; the references score 1 on their own requests', () => {
    const stories = items.map((x) => x.story);
    const groups = items.map((_, i) => (i % 2 ? 'odd' : 'even'));
    const s = worldScores(requests, stories, groups, 4);
    expect(Object.keys(s)).toEqual(['all', 'even', 'odd']);
    expect(s.all!.n).toBe(200);
    expect(s.odd!.n).toBe(100);
    expect(s.all!.promptLevel).toBe(1);
    expect(s.all!.instructionLevel).toBe(1);
    expect(s.all!.semanticPrompt).toBeGreaterThan(0.85);
    expect(s.all!.semanticInstruction).toBeGreaterThan(s.all!.semanticPrompt - 0.5);
    expect(() => worldScores(requests, stories, groups.slice(1))).toThrow(/199 groups/);
  });

  it('exact pairwise preference feeds headToHead: self ties at 50, the right story beats a shuffled one', () => {
    const stories = items.map((x) => x.story);
    expect(headToHead(exactPreferences(requests, stories, stories)).win_rate).toBe(50);
    const shuffled = stories.map((_, i) => stories[(i + 1) % stories.length]!);
    const h = headToHead(exactPreferences(requests, shuffled, stories));
    expect(h.win_rate).toBeGreaterThan(90);
    expect(h.n_total).toBe(200);
    expect(() => exactPreferences(requests, stories.slice(1), stories)).toThrow(/199 reference/);
  });
});

describe('prompts inside the pretraining wrappers (calibration b)', () => {
  it("each wrapper prompt is the start of its wrapped pair; the story is the continuation's first line and passes", () => {
    fc.assert(
      fc.property(specArb, fc.constantFrom(...PAIR_WRAPPERS), ({ seed, spec, story, rng }, wrapper) => {
        const request = storyRequest(world, spec, 'full', rng);
        const prompt = wrapperPrompt(wrapper, request.text, new Rng(seed));
        const full = wrapPair(wrapper, request.text, story, new Rng(seed));
        expect(full.startsWith(prompt)).toBe(true);
        expect(prompt).toContain(request.text.slice(1));
        for (const tag of CHAT_TAGS) expect(prompt.includes(tag)).toBe(false);
        expect(judge(request, firstLine(full.slice(prompt.length))).all).toBe(true);
      }),
      { numRuns: 60 },
    );
    const q = factRequest(world, 'Pip', 'home', new Rng(1));
    const answer = factStatement(character(world, 'Pip'), 'home', new Rng(1));
    expect(judge(q, firstLine(`${factPrompt(q.text)} ${answer}\nQ: Where does Tom live?`.slice(factPrompt(q.text).length))).all).toBe(true);
  });
});
