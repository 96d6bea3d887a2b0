// The sets the arms use and the held-out design (docs/world.md):
//  - held-out values: some names, places and pool words that appear in no tuning set at all
//    (neither in a request nor in a story), only in the corpus;
//  - held-out request types: types no instruction-tuning request has (the corpus has them);
//  - held-out characters for facts: their facts are stated in the corpus but never asked as a
//    Q:/A: pair, in the corpus or any tuning set;
//  - evaluation items are drawn first; their full specs and their constraint sets are excluded from
//    every tuning set and from the corpus, so each is a new combination.
import { Rng } from '../../core/random.ts';
import type { Message } from '../chat.ts';
import { factStatement } from './facts.ts';
import { renderStory } from './grammar.ts';
import { NAMES, PLACES, POOL } from './lexicon.ts';
import {
  FACT_ATTRIBUTES,
  type FactRequest,
  type RequestType,
  REQUEST_TYPE_NAMES,
  type StoryRequest,
  type WorldRequest,
  factRequest,
  storyRequest,
} from './requests.ts';
import { type Exclusions, type StorySpec, constraintsKey, randomSpec, specKey, specValues } from './spec.ts';
import { type World, character, pick, pickDistinct } from './world.ts';

export interface HeldOut {
  names: ReadonlySet<string>;
  places: ReadonlySet<string>;
  words: ReadonlySet<string>;
  /** Request types the instruction-tuning set leaves out. */
  types: readonly RequestType[];
  /** Characters never asked about in a Q:/A: pair. */
  factNames: ReadonlySet<string>;
}

export const HELD_OUT_TYPES: readonly RequestType[] = ['closing', 'length', 'species'];
export const TUNING_TYPES: readonly RequestType[] = REQUEST_TYPE_NAMES.filter((t) => !HELD_OUT_TYPES.includes(t));

/** The held-out values of a seed: 4 names, 2 places, 10 pool words; 10 characters for facts. */
export function heldOutDesign(seed: number): HeldOut {
  const rng = new Rng(seed ^ 0x4e1d);
  return {
    names: new Set(pickDistinct(NAMES, 4, rng)),
    places: new Set(
      pickDistinct(
        PLACES.map((p) => p.noun),
        2,
        rng,
      ),
    ),
    words: new Set(pickDistinct(POOL, 10, rng)),
    types: HELD_OUT_TYPES,
    factNames: new Set(pickDistinct(NAMES, 10, rng)),
  };
}

export const EVAL_GROUPS = ['new-combination', 'held-out-value', 'held-out-type', 'fact-held-out', 'fact-seen'] as const;
export type EvalGroup = (typeof EVAL_GROUPS)[number];

export interface EvalItem {
  id: string;
  group: EvalGroup;
  request: WorldRequest;
  /** A story (or answer) that meets the request: the grammar's, for reference outputs. */
  reference: string;
}

export interface TuningRow {
  id: string;
  messages: Message[];
  request: WorldRequest;
}

export interface WorldSets {
  heldOut: HeldOut;
  eval: EvalItem[];
  instruction: TuningRow[];
  response: TuningRow[];
  singleFact: TuningRow[];
  singleStory: TuningRow[];
  /** The request type of singleStory. */
  singleStoryType: RequestType;
  /** Keys the corpus must avoid. */
  evalSpecs: ReadonlySet<string>;
  evalRequests: ReadonlySet<string>;
}

export interface SetSizes {
  instruction: number;
  singleFact: number;
  singleStory: number;
  /** Per story group; fact groups get half. */
  evalPerGroup: number;
}

export const DEFAULT_SIZES: SetSizes = { instruction: 1000, singleFact: 1000, singleStory: 1000, evalPerGroup: 100 };

const exclusionsOf = (h: HeldOut): Exclusions => ({ names: h.names, places: h.places, words: h.words });

/** Whether a stated constraint uses a held-out name, place or word. */
function statesHeldOutValue(r: StoryRequest, h: HeldOut): boolean {
  const c = r.constraints;
  return (
    [c.hero, c.companion].some((n) => n !== undefined && h.names.has(n)) ||
    (c.place !== undefined && h.places.has(c.place)) ||
    (c.words ?? []).some((w) => h.words.has(w))
  );
}

/** Whether a spec's story would contain a held-out value. */
export function specUsesHeldOut(spec: StorySpec, h: HeldOut): boolean {
  const v = specValues(spec);
  return v.names.some((n) => h.names.has(n)) || v.places.some((p) => h.places.has(p)) || v.words.some((w) => h.words.has(w));
}

function drawEval(world: World, h: HeldOut, sizes: SetSizes, rng: Rng): { items: EvalItem[]; specs: Set<string>; requests: Set<string> } {
  const items: EvalItem[] = [];
  const specs = new Set<string>();
  const requests = new Set<string>();
  const storyGroup = (group: EvalGroup, n: number, draw: () => { spec: StorySpec; request: StoryRequest } | undefined) => {
    for (let tries = 0; items.filter((i) => i.group === group).length < n; tries++) {
      if (tries > 100 * n) throw new Error(`world sets: could not draw ${n} ${group} items`);
      const d = draw();
      if (!d) continue;
      const sk = specKey(d.spec);
      const rk = constraintsKey(d.request.constraints);
      if (specs.has(sk) || requests.has(rk)) continue;
      specs.add(sk);
      requests.add(rk);
      items.push({
        id: `${group}-${items.filter((i) => i.group === group).length}`,
        group,
        request: d.request,
        reference: renderStory(world, d.spec, rng),
      });
    }
  };
  storyGroup('new-combination', sizes.evalPerGroup, () => {
    const spec = randomSpec(world, rng, exclusionsOf(h));
    return { spec, request: storyRequest(world, spec, pick(TUNING_TYPES, rng), rng) };
  });
  storyGroup('held-out-value', sizes.evalPerGroup, () => {
    const spec = randomSpec(world, rng);
    const request = storyRequest(world, spec, pick(TUNING_TYPES, rng), rng);
    return statesHeldOutValue(request, h) ? { spec, request } : undefined;
  });
  storyGroup('held-out-type', sizes.evalPerGroup, () => {
    const spec = randomSpec(world, rng, exclusionsOf(h));
    return { spec, request: storyRequest(world, spec, pick(h.types, rng), rng) };
  });
  const factGroup = (group: EvalGroup, names: readonly string[]) => {
    const n = Math.ceil(sizes.evalPerGroup / 2);
    for (let i = 0; i < n; i++) {
      const q = factRequest(world, pick(names, rng), pick(FACT_ATTRIBUTES, rng), rng);
      items.push({ id: `${group}-${i}`, group, request: q, reference: factStatement(character(world, q.name), q.attribute, rng) });
    }
  };
  const asked = NAMES.filter((n) => !h.factNames.has(n) && !h.names.has(n));
  factGroup('fact-held-out', [...h.factNames]);
  factGroup('fact-seen', asked);
  return { items, specs, requests };
}

/** The names that may be asked about in Q:/A: form (corpus quizzes and the fact tuning set). */
export function quizNames(h: HeldOut): string[] {
  return NAMES.filter((n) => !h.factNames.has(n));
}

/** Every set of a seed. Deterministic: the same world, seed and sizes give the same sets. */
export function buildSets(world: World, seed: number, sizes: SetSizes = DEFAULT_SIZES): WorldSets {
  const h = heldOutDesign(seed);
  const rng = new Rng(seed ^ 0x5e75);
  const { items: evalItems, specs: evalSpecs, requests: evalRequests } = drawEval(world, h, sizes, rng);
  const tuningStory = (types: readonly RequestType[], n: number, prefix: string): { rows: TuningRow[]; stories: string[] } => {
    const rows: TuningRow[] = [];
    const stories: string[] = [];
    while (rows.length < n) {
      const spec = randomSpec(world, rng, exclusionsOf(h));
      const request = storyRequest(world, spec, pick(types, rng), rng);
      if (evalSpecs.has(specKey(spec)) || evalRequests.has(constraintsKey(request.constraints))) continue;
      const story = renderStory(world, spec, rng);
      stories.push(story);
      rows.push({
        id: `${prefix}-${rows.length}`,
        messages: [
          { role: 'user', content: request.text },
          { role: 'assistant', content: story },
        ],
        request,
      });
    }
    return { rows, stories };
  };
  const instruction = tuningStory(TUNING_TYPES, sizes.instruction, 'instruction');
  const response = instruction.rows.map((r) => ({
    ...r,
    id: r.id.replace('instruction', 'response'),
    messages: [{ role: 'user' as const, content: '' }, r.messages[1]!],
  }));
  const singleStoryType: RequestType = 'about';
  const singleStory = tuningStory([singleStoryType], sizes.singleStory, `single-${singleStoryType}`).rows;
  const askable = quizNames(h).filter((n) => !h.names.has(n));
  const singleFact: TuningRow[] = [];
  while (singleFact.length < sizes.singleFact) {
    const q: FactRequest = factRequest(world, pick(askable, rng), pick(FACT_ATTRIBUTES, rng), rng);
    if (q.attribute === 'home' && h.places.has(q.value)) continue; // a held-out place never appears in tuning
    singleFact.push({
      id: `single-fact-${singleFact.length}`,
      messages: [
        { role: 'user', content: q.text },
        { role: 'assistant', content: factStatement(character(world, q.name), q.attribute, rng) },
      ],
      request: q,
    });
  }
  return {
    heldOut: h,
    eval: evalItems,
    instruction: instruction.rows,
    response,
    singleFact,
    singleStory,
    singleStoryType,
    evalSpecs,
    evalRequests,
  };
}
