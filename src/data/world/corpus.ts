// The world's pretraining corpus: documents of several kinds mixed by token share. Each next
// document is of the kind furthest below its share so far, so the shares hold at any size.
// Nothing in it uses a chat tag: the chat template is left for the arms to meet first.
import { Rng } from '../../core/random.ts';
import { drillDocument } from './drills.ts';
import { recallDocument } from './recall.ts';
import { factDocument, factStatement } from './facts.ts';
import { renderStory } from './grammar.ts';
import { type RequestType, REQUEST_TYPE_NAMES, factRequest, FACT_ATTRIBUTES, storyRequest } from './requests.ts';
import { constraintsKey, randomSpec, type StorySpec, specKey } from './spec.ts';
import { PAIR_WRAPPERS, quiz, storySummary, storyTitle, summarised, titled, worksheet, wrapPair } from './wrappers.ts';
import { type World, character, pick } from './world.ts';

export const CORPUS_KINDS = ['story', 'pair', 'title', 'summary', 'worksheet', 'facts', 'qa', 'drill', 'recall'] as const;
export type CorpusKind = (typeof CORPUS_KINDS)[number];
export type Mix = Record<CorpusKind, number>;

/** Default token shares: the request→story mapping in natural wrappers is the largest part.
 *  Drills (src/data/world/drills.ts) and recall games (recall.ts) are 0 by default: a kind at 0
 *  draws nothing from the seed's stream, so a mix without them writes the corpus it wrote before
 *  they existed. */
export const DEFAULT_MIX: Mix = {
  story: 0.15,
  pair: 0.35,
  title: 0.08,
  summary: 0.1,
  worksheet: 0.07,
  facts: 0.15,
  qa: 0.1,
  drill: 0,
  recall: 0,
};

/** Strings that must never occur in the corpus (the chat template's tags and the EOS text). */
export const CHAT_TAGS = ['<|user|>', '<|assistant|>', '<|system|>', '</s>', '<s>'] as const;

export interface CorpusDoc {
  kind: CorpusKind;
  /** The wrapper, for pairs. */
  wrapper?: string;
  text: string;
  /** specKey of each story and constraintsKey of each request in it (for the held-out tests). */
  specs: string[];
  requests: string[];
}

export interface CorpusOptions {
  /** Stop once this many tokens are written. */
  tokens: number;
  mix?: Partial<Mix>;
  seed: number;
  /** Tokens of a text (the shares are shares of this count). */
  countTokens: (text: string) => number;
  /** Full specs never used (held-out evaluation specs). */
  excludeSpecs?: ReadonlySet<string>;
  /** Constraint sets never used as a request (held-out evaluation requests). */
  excludeRequests?: ReadonlySet<string>;
  /** The only characters asked about in Q:/A: quizzes (held-out characters are stated, never asked). */
  quizNames?: readonly string[];
}

export interface Corpus {
  docs: CorpusDoc[];
  tokens: Record<CorpusKind, number>;
  docsByKind: Record<CorpusKind, number>;
}

/** Checks a mix: known kinds, shares >= 0, summing to 1 (within 1e-6). */
export function resolveMix(mix: Partial<Mix> = {}): Mix {
  for (const k of Object.keys(mix))
    if (!(CORPUS_KINDS as readonly string[]).includes(k))
      throw new Error(`corpus mix: unknown kind "${k}" (kinds: ${CORPUS_KINDS.join(', ')})`);
  const m = { ...DEFAULT_MIX, ...mix };
  for (const k of CORPUS_KINDS)
    if (!(Number.isFinite(m[k]) && m[k] >= 0)) throw new Error(`corpus mix: ${k} must be a share >= 0, got ${m[k]}`);
  const sum = CORPUS_KINDS.reduce((s, k) => s + m[k], 0);
  if (Math.abs(sum - 1) > 1e-6) throw new Error(`corpus mix: the shares must sum to 1, they sum to ${sum.toFixed(4)}`);
  return m;
}

/** A spec (and a request for it) that no exclusion forbids; tries until one is found. */
function freshStoryPair(
  world: World,
  rng: Rng,
  opts: CorpusOptions,
  type?: RequestType,
): { spec: StorySpec; request: ReturnType<typeof storyRequest> } {
  for (let i = 0; i < 1000; i++) {
    const spec = randomSpec(world, rng);
    if (opts.excludeSpecs?.has(specKey(spec))) continue;
    const request = storyRequest(world, spec, type ?? pick(REQUEST_TYPE_NAMES, rng), rng);
    if (opts.excludeRequests?.has(constraintsKey(request.constraints))) continue;
    return { spec, request };
  }
  throw new Error('corpus: no spec outside the exclusions in 1000 tries');
}

function makeDoc(kind: CorpusKind, world: World, rng: Rng, opts: CorpusOptions): CorpusDoc {
  const specs: string[] = [];
  const requests: string[] = [];
  const fresh = () => {
    const p = freshStoryPair(world, rng, opts);
    specs.push(specKey(p.spec));
    requests.push(constraintsKey(p.request.constraints));
    return p;
  };
  const doc = makeText(kind, world, rng, opts, fresh);
  return { kind, ...doc, specs, requests };
}

function makeText(
  kind: CorpusKind,
  world: World,
  rng: Rng,
  opts: CorpusOptions,
  freshPair: () => ReturnType<typeof freshStoryPair>,
): { text: string; wrapper?: string } {
  switch (kind) {
    case 'story': {
      const { spec } = freshPair();
      return { text: renderStory(world, spec, rng) };
    }
    case 'pair': {
      const { spec, request } = freshPair();
      const wrapper = pick(PAIR_WRAPPERS, rng);
      return { wrapper, text: wrapPair(wrapper, request.text, renderStory(world, spec, rng), rng) };
    }
    case 'title': {
      const { spec } = freshPair();
      return { text: titled(storyTitle(world, spec, rng), renderStory(world, spec, rng), rng) };
    }
    case 'summary': {
      const { spec } = freshPair();
      return { text: summarised(renderStory(world, spec, rng), storySummary(world, spec, rng), rng) };
    }
    case 'worksheet': {
      const n = 3 + rng.int(4);
      return {
        text: worksheet(
          Array.from({ length: n }, () => freshPair().request.text),
          rng,
        ),
      };
    }
    case 'facts':
      return { text: factDocument(world, rng) };
    case 'qa': {
      const names = opts.quizNames ?? world.characters.map((c) => c.name);
      if (names.length === 0) throw new Error('corpus: quizNames is empty but the mix asks for qa');
      const pairs = Array.from({ length: 1 + rng.int(4) }, () => {
        const q = factRequest(world, pick(names, rng), pick(FACT_ATTRIBUTES, rng), rng);
        return { question: q.text, answer: factStatement(character(world, q.name), q.attribute, rng) };
      });
      return { text: quiz(pairs, rng) };
    }
    case 'drill':
      return { text: drillDocument(world, rng) };
    case 'recall':
      return { text: recallDocument(world, rng) };
  }
}

/** The corpus of a seed: deterministic for the same world, options and token counter. */
export function buildCorpus(world: World, opts: CorpusOptions): Corpus {
  if (!(Number.isInteger(opts.tokens) && opts.tokens > 0)) throw new Error(`corpus: tokens must be a whole number > 0, got ${opts.tokens}`);
  const mix = resolveMix(opts.mix);
  const rng = new Rng(opts.seed ^ 0xc0de);
  const zero = () => Object.fromEntries(CORPUS_KINDS.map((k) => [k, 0])) as Record<CorpusKind, number>;
  const tokens = zero();
  const docsByKind = zero();
  const docs: CorpusDoc[] = [];
  let total = 0;
  while (total < opts.tokens) {
    // the kind furthest below its share of the corpus so far (ties: the first in CORPUS_KINDS)
    let kind: CorpusKind = CORPUS_KINDS[0];
    let gap = -Infinity;
    for (const k of CORPUS_KINDS) {
      if (mix[k] === 0) continue;
      const g = mix[k] * (total + 1) - tokens[k];
      if (g > gap) [kind, gap] = [k, g];
    }
    const doc = makeDoc(kind, world, rng, opts);
    for (const tag of CHAT_TAGS) if (doc.text.includes(tag)) throw new Error(`corpus: a ${kind} document holds the chat tag ${tag}`);
    const n = opts.countTokens(doc.text);
    tokens[kind] += n;
    docsByKind[kind]++;
    total += n;
    docs.push(doc);
  }
  return { docs, tokens, docsByKind };
}
