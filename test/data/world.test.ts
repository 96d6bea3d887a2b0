// The story world's generator: a disjoint lexicon, story lengths in heed-base tokens, requests that
// state their constraints, a corpus by token share without chat tags, determinism by seed, and the
// held-out design (no held-out spec or value where the design promises it is absent).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../src/core/random.ts';
import { CHAT_TAGS, CORPUS_KINDS, DEFAULT_MIX, buildCorpus, resolveMix } from '../../src/data/world/corpus.ts';
import { drillDocument, drillTask } from '../../src/data/world/drills.ts';
import { recallDocument, recallRound } from '../../src/data/world/recall.ts';
import { copyLine, copyLineDocuments } from '../../src/data/world/copyLines.ts';
import { FILLERS, renderStory } from '../../src/data/world/grammar.ts';
import { ADJECTIVES, CLOSINGS, FIRST_WORDS, FOODS, NAMES, OBJECTS, PLACES, POOL, SPECIES, VERBS } from '../../src/data/world/lexicon.ts';
import { REQUEST_TYPE_NAMES, storyRequest } from '../../src/data/world/requests.ts';
import { DEFAULT_SIZES, HELD_OUT_TYPES, buildSets, heldOutDesign, quizNames } from '../../src/data/world/sets.ts';
import { checkConstraints, constraintsKey, randomSpec, specKey } from '../../src/data/world/spec.ts';
import { buildWorld } from '../../src/data/world/world.ts';
import { checkSlot } from '../../src/eval/world/judge.ts';
import { mentions, sentences } from '../../src/eval/world/text.ts';
import { readTokenizer } from '../../src/load/pretrained.ts';

const tok = readTokenizer(new URL('../../models/heed-base/tokenizer.json', import.meta.url).pathname);
const countTokens = (t: string) => tok.encode(t).length;
const world = buildWorld(0);
const SIZES = { instruction: 200, singleFact: 100, singleStory: 100, evalPerGroup: 40 };

describe('world lexicon and facts', () => {
  it('the word lists are pairwise disjoint (a word is read as one thing only)', () => {
    const lists = { NAMES, SPECIES, places: PLACES.map((p) => p.noun), OBJECTS, ADJECTIVES, VERBS, FOODS, FIRST_WORDS };
    const seen = new Map<string, string>();
    for (const [name, list] of Object.entries(lists)) {
      for (const w of list) {
        const k = w.toLowerCase();
        expect(seen.get(k), `${w} in ${name} and ${seen.get(k)}`).toBeUndefined();
        seen.set(k, name);
      }
    }
    expect(seen.size).toBeGreaterThan(200);
  });

  it('the world of a seed: every species has the same number of characters; seeds differ', () => {
    const counts = new Map<string, number>();
    for (const c of world.characters) counts.set(c.species, (counts.get(c.species) ?? 0) + 1);
    expect([...counts.values()]).toEqual(SPECIES.map(() => NAMES.length / SPECIES.length));
    expect(JSON.stringify(buildWorld(0))).toBe(JSON.stringify(world));
    expect(JSON.stringify(buildWorld(1).characters)).not.toBe(JSON.stringify(world.characters));
    expect(() => buildWorld(-1)).toThrow(/whole number/);
  });

  it('checkConstraints refuses values outside the lexicon, naming each', () => {
    expect(() => checkConstraints({ hero: 'Zed', place: 'moon', firstWord: 'Once' }, 'eval.jsonl:3')).toThrow(
      /eval\.jsonl:3: hero "Zed".*place "moon"/,
    );
    expect(() => checkConstraints({ closing: CLOSINGS.happy[0], words: ['lamp'] })).not.toThrow();
  });
});

describe('stories and requests', () => {
  it('story lengths in heed-base tokens: at least 95% within 60–150 tokens, none above 150', () => {
    const rng = new Rng(7);
    const lens = Array.from({ length: 1000 }, () => countTokens(renderStory(world, randomSpec(world, rng), rng))).sort((a, b) => a - b);
    const inside = lens.filter((n) => n >= 60 && n <= 150).length;
    expect(inside).toBeGreaterThanOrEqual(950);
    expect(lens.at(-1)!).toBeLessThanOrEqual(150);
    expect(lens[0]!).toBeGreaterThanOrEqual(45);
  });

  it("'planned' stories: one plan (opening, companion, words, dialogue, a prefix of the fillers in order, mood, closing), lengths as the shuffled ones", () => {
    const planned = buildWorld(0, 'planned');
    expect(planned.characters).toEqual(world.characters);
    expect(() => buildWorld(0, 'random' as 'planned')).toThrow(/story order must be one of shuffled, planned, got "random"/);
    const rng = new Rng(11);
    const lens: number[] = [];
    for (let i = 0; i < 500; i++) {
      const spec = randomSpec(world, rng);
      const story = renderStory(planned, spec, rng);
      lens.push(countTokens(story));
      const s = sentences(story);
      expect(s).toHaveLength(spec.sentences);
      expect(new Set(s).size).toBe(s.length); // no sentence twice
      expect(s[0]!.startsWith(spec.firstWord)).toBe(true);
      expect(mentions(s[1]!, NAMES, true)).toContain(spec.companion);
      expect(new Set(mentions(s[2]!, POOL))).toEqual(new Set(spec.words)); // every word in the third sentence
      const d = spec.dialogue ? 1 : 0;
      if (spec.dialogue) expect(s[3]!).toMatch(/"/);
      const slack = spec.sentences - 4 - d;
      const fillers = Math.max(0, slack - 1);
      const filled = FILLERS.slice(0, fillers).map((f) => f.replaceAll('{A}', spec.hero).replaceAll('{B}', spec.companion));
      expect(s.slice(3 + d, 3 + d + fillers)).toEqual(filled);
      expect(s.at(-1)).toBe(spec.closing);
    }
    lens.sort((a, b) => a - b);
    expect(lens.filter((n) => n >= 60 && n <= 150).length).toBeGreaterThanOrEqual(475);
    expect(lens.at(-1)!).toBeLessThanOrEqual(150);
  });

  it('a request states each of its constraints in words: names, place, words, first word, count, closing', () => {
    const rng = new Rng(9);
    const numbers = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
    const texts = new Set<string>();
    for (let i = 0; i < 500; i++) {
      const spec = randomSpec(world, rng);
      const r = storyRequest(world, spec, REQUEST_TYPE_NAMES[i % REQUEST_TYPE_NAMES.length]!, rng);
      const c = r.constraints;
      texts.add(r.text);
      if (c.hero) expect(r.text).toContain(c.hero);
      if (c.companion) expect(r.text).toContain(c.companion);
      if (c.species) expect(mentions(r.text, SPECIES)).toEqual([c.species]);
      if (c.place)
        expect(
          mentions(
            r.text,
            PLACES.map((p) => p.noun),
          ),
        ).toEqual([c.place]);
      for (const w of c.words ?? []) expect(r.text).toContain(w);
      if (c.firstWord) expect(r.text).toContain(c.firstWord);
      if (c.sentences) expect(r.text.includes(String(c.sentences)) || r.text.includes(numbers[c.sentences]!)).toBe(true);
      if (c.closing) expect(r.text).toContain(c.closing);
      if (c.ending) expect(r.text).toMatch(c.ending === 'happy' ? /happ/ : /sad/);
      if (c.dialogue !== undefined) expect(r.text).toMatch(/dialogue|talk|speak|out loud/);
    }
    expect(texts.size).toBeGreaterThan(480);
  });
});

describe('corpus', () => {
  const sets = buildSets(world, 0, SIZES);
  const opts = {
    tokens: 60_000,
    seed: 0,
    countTokens,
    excludeSpecs: sets.evalSpecs,
    excludeRequests: sets.evalRequests,
    quizNames: quizNames(sets.heldOut),
  };
  const corpus = buildCorpus(world, opts);
  const text = corpus.docs.map((d) => d.text).join('\n');

  it('holds every kind at its token share and never a chat tag', () => {
    const total = CORPUS_KINDS.reduce((s, k) => s + corpus.tokens[k], 0);
    expect(total).toBeGreaterThanOrEqual(60_000);
    for (const k of CORPUS_KINDS) expect(Math.abs(corpus.tokens[k] / total - DEFAULT_MIX[k])).toBeLessThan(0.01);
    for (const tag of CHAT_TAGS) expect(text.includes(tag), tag).toBe(false);
    expect(new Set(corpus.docs.filter((d) => d.kind === 'pair').map((d) => d.wrapper)).size).toBe(6);
    expect(text).toMatch(/Q: .*\nA: /);
  });

  it('articles agree with the next word ("an owl", "a little owl", "a lamp"); "I" stays upper case', () => {
    expect(text.match(/\ban [b-df-hj-np-tv-z]\w*/gi) ?? []).toEqual([]);
    expect(text.match(/\ba [aeio]\w*/gi) ?? []).toEqual([]);
    expect(text.match(/\bi\b/g) ?? []).toEqual([]); // the pronoun stays "I" when a request is quoted mid-sentence
  });

  it('a tunable mix: shares follow it; bad mixes are refused', () => {
    const c = buildCorpus(world, {
      ...opts,
      tokens: 20_000,
      mix: { story: 0.5, pair: 0.5, title: 0, summary: 0, worksheet: 0, facts: 0, qa: 0 },
    });
    expect(c.docsByKind.facts).toBe(0);
    expect(Math.abs(c.tokens.story / (c.tokens.story + c.tokens.pair) - 0.5)).toBeLessThan(0.02);
    expect(() => resolveMix({ story: 0.9 })).toThrow(/sum to 1/);
    expect(() => resolveMix({ poems: 0 } as never)).toThrow(/unknown kind "poems"/);
  });

  /** A corpus-only kind (no spec, no request): no chat tag in a document, its share held in a mix. */
  const expectPracticeKind = (kind: 'drill' | 'recall', doc: string) => {
    for (const tag of CHAT_TAGS) expect(doc.includes(tag)).toBe(false);
    const c = buildCorpus(world, { ...opts, tokens: 20_000, mix: { ...DEFAULT_MIX, story: 0.05, [kind]: 0.1 } });
    expect(Math.abs(c.tokens[kind] / 20_000 - 0.1)).toBeLessThan(0.01);
    expect(c.docs.filter((d) => d.kind === kind).every((d) => d.specs.length === 0 && d.requests.length === 0)).toBe(true);
  };

  it('drills: each answer carries exactly the words its task names and starts with its first word', () => {
    const rng = new Rng(5);
    let withWords = 0;
    let withFirst = 0;
    for (let i = 0; i < 500; i++) {
      const t = drillTask(world, rng);
      if (t.words.length) {
        withWords++;
        expect(t.task).toMatch(new RegExp(t.words.join('.*')));
        expect(checkSlot({ words: [...t.words] }, 'words', t.answer), t.answer).toBe(true);
        // no pool word beyond the asked ones: the answer teaches which word, not any word
        expect(mentions(t.answer, [...OBJECTS, ...ADJECTIVES, ...VERBS]).sort()).toEqual([...t.words].sort());
      }
      if (t.firstWord) {
        withFirst++;
        expect(t.task).toContain(t.firstWord);
        expect(checkSlot({ firstWord: t.firstWord }, 'firstWord', t.answer), t.answer).toBe(true);
      }
      expect(t.words.length > 0 || t.firstWord !== undefined).toBe(true);
    }
    expect(withWords).toBeGreaterThan(300);
    expect(withFirst).toBeGreaterThan(150);
    expectPracticeKind('drill', drillDocument(world, new Rng(1)));
  });

  it('recall games: each round says 2–5 pool words and says the same words back, nothing else of the pool', () => {
    const rng = new Rng(6);
    let reordered = 0;
    for (let i = 0; i < 500; i++) {
      const r = recallRound(world, rng);
      expect(r.said.length).toBeGreaterThanOrEqual(2);
      expect(r.said.length).toBeLessThanOrEqual(5);
      expect([...r.back].sort()).toEqual([...r.said].sort());
      if (r.back.join() !== r.said.join()) reordered++;
      // the words said, in order, then the words said back, in their order
      expect(r.text).toMatch(new RegExp([...r.said, ...r.back].map((w) => `\\b${w}\\b`).join('.*')));
      expect(mentions(r.text, [...OBJECTS, ...ADJECTIVES, ...VERBS]).sort()).toEqual([...r.said].sort());
    }
    expect(reordered).toBeGreaterThan(150);
    expectPracticeKind('recall', recallDocument(world, new Rng(1)));
  });

  it('copy lines: 2–4 distinct pool words, an arrow, the same words; six a document, the same for the same seed', () => {
    const rng = new Rng(3);
    const sizes = new Set<number>();
    for (let i = 0; i < 300; i++) {
      const line = copyLine(rng);
      const m = /^copy: ([a-z ]+) -> ([a-z ]+)$/.exec(line);
      expect(m, line).not.toBeNull();
      expect(m![2]).toBe(m![1]);
      const words = m![1]!.split(' ');
      sizes.add(words.length);
      expect(new Set(words).size).toBe(words.length);
      expect(mentions(line, [...OBJECTS, ...ADJECTIVES, ...VERBS]).sort()).toEqual([...words].sort());
    }
    expect([...sizes].sort()).toEqual([2, 3, 4]);
    const docs = copyLineDocuments(7, 5);
    expect(docs).toHaveLength(5);
    expect(docs.every((d) => d.split('\n').length === 6)).toBe(true);
    expect(copyLineDocuments(7, 5)).toEqual(docs);
    expect(copyLineDocuments(8, 5)).not.toEqual(docs);
    for (const tag of CHAT_TAGS) expect(docs.join('\n')).not.toContain(tag);
  });

  it('a mix without drills or recall games writes the corpus it wrote before they existed (committed bases stay remakeable)', () => {
    // sha256 of the seed-0 corpus above, as the generator wrote it before the drill kind was added
    const hash = createHash('sha256')
      .update(JSON.stringify(corpus.docs.map((d) => d.text)))
      .digest('hex');
    expect(corpus.docsByKind.drill + corpus.docsByKind.recall).toBe(0);
    expect(hash.slice(0, 16)).toBe('1aa40365310e98ae');
  });

  it('is deterministic by seed: same seed, same bytes; another seed, other documents', () => {
    const again = buildCorpus(world, opts);
    expect(JSON.stringify(again.docs)).toBe(JSON.stringify(corpus.docs));
    const other = buildCorpus(world, { ...opts, seed: 1 });
    expect(other.docs[0]!.text).not.toBe(corpus.docs[0]!.text);
  });

  it('holds no evaluation spec or request, and asks no Q:/A: about a held-out character', () => {
    const specs = corpus.docs.flatMap((d) => d.specs);
    const requests = corpus.docs.flatMap((d) => d.requests);
    expect(specs.length).toBeGreaterThan(200);
    for (const k of specs) expect(sets.evalSpecs.has(k)).toBe(false);
    for (const k of requests) expect(sets.evalRequests.has(k)).toBe(false);
    for (const it of sets.eval) expect(text.includes(it.request.text) && it.request.kind === 'story').toBe(false);
    const questions = [...text.matchAll(/^Q: (.*)$/gm)].map((m) => m[1]!);
    expect(questions.length).toBeGreaterThan(50);
    for (const q of questions) for (const n of sets.heldOut.factNames) expect(mentions(q, [n], true)).toEqual([]);
    // held-out characters' facts are stated (the knowledge is there to extract)
    const stated = corpus.docs
      .filter((d) => d.kind === 'facts')
      .map((d) => d.text)
      .join(' ');
    expect([...sets.heldOut.factNames].filter((n) => stated.includes(n)).length).toBeGreaterThan(5);
  });
});

describe('sets for the arms', () => {
  const sets = buildSets(world, 0, SIZES);
  const h = sets.heldOut;
  const tuning = [...sets.instruction, ...sets.response, ...sets.singleFact, ...sets.singleStory];

  it('sizes, messages shape, response = instruction stories with empty user turns', () => {
    expect(sets.instruction).toHaveLength(200);
    expect(sets.response.map((r) => r.messages[1]!.content)).toEqual(sets.instruction.map((r) => r.messages[1]!.content));
    expect(sets.response.every((r) => r.messages[0]!.role === 'user' && r.messages[0]!.content === '')).toBe(true);
    expect(sets.singleFact.every((r) => r.request.kind === 'fact')).toBe(true);
    expect(sets.singleStory.every((r) => r.request.kind === 'story' && r.request.type === sets.singleStoryType)).toBe(true);
    expect(sets.eval.filter((e) => e.group === 'new-combination')).toHaveLength(40);
    expect(sets.eval.filter((e) => e.group === 'fact-held-out')).toHaveLength(20);
    expect(DEFAULT_SIZES.instruction).toBe(1000);
  });

  it('no held-out name, place or word appears anywhere in a tuning set', () => {
    const places = PLACES.map((p) => p.noun);
    for (const r of tuning) {
      const all = r.messages.map((m) => m.content).join('\n');
      expect(
        mentions(all, NAMES, true).filter((n) => h.names.has(n)),
        r.id,
      ).toEqual([]);
      expect(
        mentions(all, places).filter((p) => h.places.has(p)),
        r.id,
      ).toEqual([]);
      expect(mentions(all, [...h.words]), r.id).toEqual([]);
    }
  });

  it('instruction tuning leaves out the held-out request types; no eval spec or request is in any tuning set', () => {
    expect(sets.instruction.some((r) => r.request.kind === 'story' && HELD_OUT_TYPES.includes(r.request.type))).toBe(false);
    for (const r of tuning)
      if (r.request.kind === 'story') expect(sets.evalRequests.has(constraintsKey(r.request.constraints))).toBe(false);
    const evalTexts = new Set(sets.eval.filter((e) => e.request.kind === 'story').map((e) => e.request.text));
    for (const r of tuning) expect(evalTexts.has(r.messages[0]!.content)).toBe(false);
    // eval stories (the references) are never a tuning story
    const tuned = new Set(tuning.map((r) => r.messages[1]!.content));
    for (const e of sets.eval) if (e.request.kind === 'story') expect(tuned.has(e.reference)).toBe(false);
  });

  it('evaluation groups: held-out values stated, held-out types, held-out fact characters', () => {
    for (const e of sets.eval) {
      const r = e.request;
      if (e.group === 'held-out-value' && r.kind === 'story') {
        const c = r.constraints;
        const uses =
          [c.hero, c.companion].some((n) => n && h.names.has(n)) ||
          (c.place && h.places.has(c.place)) ||
          (c.words ?? []).some((w) => h.words.has(w));
        expect(uses).toBe(true);
      }
      if (e.group === 'held-out-type') expect(r.kind === 'story' && HELD_OUT_TYPES.includes(r.type)).toBe(true);
      if (e.group === 'fact-held-out') expect(r.kind === 'fact' && h.factNames.has(r.name)).toBe(true);
      if (e.group === 'fact-seen') expect(r.kind === 'fact' && !h.factNames.has(r.name)).toBe(true);
    }
    expect(new Set(sets.eval.map((e) => e.id)).size).toBe(sets.eval.length);
    expect(
      new Set(
        sets.eval.filter((e) => e.request.kind === 'story').map((e) => constraintsKey((e.request as { constraints: object }).constraints)),
      ).size,
    ).toBe(120);
  });

  it('is deterministic by seed', () => {
    expect(JSON.stringify(buildSets(world, 0, SIZES))).toBe(JSON.stringify(sets));
    const other = buildSets(world, 1, SIZES);
    expect(JSON.stringify(other.instruction)).not.toBe(JSON.stringify(sets.instruction));
    expect(heldOutDesign(0).names).toEqual(h.names);
  });

  it('specKey is independent of word order', () => {
    const rng = new Rng(1);
    const s = randomSpec(world, rng);
    expect(specKey({ ...s, words: [...s.words].reverse() })).toBe(specKey(s));
  });
});

describe('no chat tags anywhere in the generator sources', () => {
  it('the world sources hold no chat tag (beyond the list that forbids them)', () => {
    for (const f of ['grammar', 'requests', 'facts', 'wrappers', 'lexicon']) {
      const src = readFileSync(new URL(`../../src/data/world/${f}.ts`, import.meta.url), 'utf8');
      for (const tag of CHAT_TAGS) expect(src.includes(tag), `${f}.ts: ${tag}`).toBe(false);
    }
  });
});
