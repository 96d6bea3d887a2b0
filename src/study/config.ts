// Study configs: plain JSON-serialisable objects (built-in presets tiny / default / full, or a
// JSON file), validated field by field with errors that name the config and the field.
import { type Mix, resolveMix } from '../data/world/corpus.ts';
import { isStoryOrder, STORY_ORDERS, type StoryOrder } from '../data/world/world.ts';
import { existsSync, statSync } from 'node:fs';
import { BACKEND_NAMES, type BackendName, isBackendName } from '../backend/byName.ts';
import { checkJudgeSpec } from '../eval/judges/spec.ts';
import { readJsonFile } from '../io/json.ts';
import { ARM_NAMES, armOf, REFERENCE_ARM, WORLD_REFERENCE_ARM } from './arms.ts';

/** How to make a base model from nothing: a BPE vocabulary trained by heed, then a Llama
 *  pretrained from random init on a corpus: pretrain-mix (the shards in order, then held-out
 *  documents) or the story world's generated corpus (docs/world.md) at a token budget. */
export interface PretrainRecipe {
  /** The corpus (default 'pretrain-mix'). 'world': the world of the study's world.seed, `tokens`
   *  tokens of it (counted by the recipe's own tokenizer), and 1% more drawn apart for the held-out loss. */
  corpus?: 'pretrain-mix' | 'world';
  /** World corpus only: its token budget. */
  tokens?: number;
  /** World corpus only: copy lines (`copy: a b -> a b`, src/data/world/copyLines.ts), `docs`
   *  documents of six, packed into windows of `context` tokens; one batch of `batchSize` of them is
   *  trained in every step beside the corpus's, its mean loss added (docs/world.md, "Short windows":
   *  what let a world base learn to copy a listed word). Off by default. */
  copyWindows?: { docs: number; context: number; batchSize: number };
  /** World corpus only: the token share of each document kind (docs/world.md; unset kinds keep
   *  DEFAULT_MIX's share, and the shares must sum to 1). */
  mix?: Partial<Mix>;
  /** `chatTagsSpecial`: register <|user|> and <|assistant|> as special tokens (one id each). Off by
   *  default: the tags stay plain text, as with the paper's Llama-2 tokenizer. */
  tokenizer: { vocabSize: number; docs: number; chatTagsSpecial?: boolean };
  /** `tiedEmbeddings`: the output head is the embedding matrix (off by default, as in Llama-2;
   *  docs/world.md's copy lab: tying is what let a small model start to copy a word it was shown). */
  model: { dim: number; nLayers: number; nHeads: number; nKvHeads: number; hiddenDim: number; maxSeqLen: number; tiedEmbeddings?: boolean };
  /** Training documents (the first N of pretrain-mix's shards); the world corpus is sized by `tokens`. */
  docs: number;
  /** Held-out documents (pretrain-mix/heldout.jsonl.gz, or the world's held-out slice) for the held-out loss. */
  heldoutDocs: number;
  steps: number;
  lr: number;
  batchSize: number;
  gradAccum: number;
  seed: number;
}

export interface FinetuneSettings {
  lr: number;
  batchSize: number;
  gradAccum: number;
  /** Optimizer steps per arm (the paper trains by epochs; small configs cap the steps). */
  maxSteps?: number;
  epochs?: number;
  /** Tokens per training row at most. */
  seqLen: number;
  /** Rows of LIMA (instruction / response arms) and of each single task; 0 = all. */
  limaRows: number;
  taskRows: number;
  /** Rows longer than seqLen: 'truncate' (open-instruct's way, the default: cut, so a cut row has
   *  no EOS) or 'drop' (train only on rows that fit whole, then take the first limaRows/taskRows;
   *  with a small context most LIMA rows are cut, and a model that never sees an answer end
   *  never learns to stop; the paper's 2048-token context kept nearly every row whole). */
  longRows?: 'truncate' | 'drop';
  seed: number;
}

/** How long an arm trains, as the reports print it: "100 steps" or "15 epochs". */
export function trainingLength(ft: FinetuneSettings): string {
  return ft.maxSteps !== undefined ? `${ft.maxSteps} steps` : `${ft.epochs} epochs`;
}

export interface EvalSettings {
  /** First N instructions of AlpacaEval (the paper's evaluation set)... */
  instructions: number;
  /** ...of at most this many characters, likewise IFEval prompts (small contexts); 0 = any length. */
  maxPromptChars: number;
  maxNewTokens: number;
  batchSize: number;
  /** A judge spec as `heed eval compare --judge` takes: reference:REF, longest, openai:URL[#model], local:PATH. */
  judge: string;
  ifeval: { subset: 'knowledge-free' | 'all'; prompts: number };
  rank: { examples: number; others: number; batchSize: number };
  bootstrap: { samples: number; seed: number };
}

/** The story world's part of the study (docs/world.md): its own base (pretrained on the world's
 *  corpus, never on the chat template), its tuning sets and its held-out evaluation set, judged
 *  exactly. Absent: the study has no world part. */
export interface WorldSettings {
  /** The world, its sets and its corpus come from this seed. */
  seed: number;
  /** How the world's stories order their sentences (src/data/world/world.ts StoryOrder; default
   *  'shuffled', the world every base before attempt 9 was pretrained on). */
  stories?: StoryOrder;
  /** A model directory pretrained on this world, or a recipe (corpus 'world') to pretrain one. */
  base: { model: string } | { pretrain: PretrainRecipe };
  /** Rows of the instruction set (the response set has the same stories) and of each single-task set. */
  tuningRows: number;
  /** Evaluation items per story group (fact groups get half): 3.5x this in all. */
  evalPerGroup: number;
  /** Finetuning of the world arms (limaRows/taskRows are ignored: tuningRows sizes the sets). */
  finetune: FinetuneSettings;
  maxNewTokens: number;
  batchSize: number;
  /** Besides greedy: sampled answers at this temperature, one run per seed (greedy loops hide following). */
  sampled: { temperature: number; seeds: number[] };
  /** The ranking probe on the world base: eval stories ranked against others, in the chat template and in a wrapper. */
  rank: { examples: number; others: number; batchSize: number };
}

export interface StudyConfig {
  name: string;
  about: string;
  /** auto: webgpu on a GPU, the fast SIMD CPU backend otherwise (src/backend/choose.ts). */
  backend: BackendName;
  /** A model directory (HF layout with tokenizer.json), or a recipe to pretrain one. */
  base: { model: string } | { pretrain: PretrainRecipe };
  finetune: FinetuneSettings;
  eval: EvalSettings;
  /** Arms to run (default: all of ARMS). The instruction-tuned arm is always run: it is the reference. */
  arms?: string[];
  world?: WorldSettings;
  /** Which parts run (default: both; 'real' = AlpacaEval/IFEval on base, 'world' = the story world). */
  parts?: ('real' | 'world')[];
}

export const DEFAULT_JUDGE = 'reference:alpaca-eval:gpt4_1106_preview';

const TINY: StudyConfig = {
  name: 'tiny',
  about:
    'minutes on 2 CPU cores, for CI: a micro Llama pretrained in the study itself for a few dozen steps on a tokenizer trained in seconds; few rows, few steps, few instructions',
  backend: 'cpu',
  base: {
    pretrain: {
      tokenizer: { vocabSize: 384, docs: 60 },
      model: { dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, hiddenDim: 64, maxSeqLen: 256 },
      docs: 30,
      heldoutDocs: 2,
      steps: 16,
      lr: 3e-3,
      batchSize: 4,
      gradAccum: 1,
      seed: 1,
    },
  },
  finetune: { lr: 2e-3, batchSize: 4, gradAccum: 1, maxSteps: 2, seqLen: 128, limaRows: 16, taskRows: 8, seed: 1 },
  eval: {
    instructions: 6,
    maxPromptChars: 120,
    maxNewTokens: 12,
    batchSize: 6,
    judge: DEFAULT_JUDGE,
    ifeval: { subset: 'knowledge-free', prompts: 6 },
    rank: { examples: 8, others: 5, batchSize: 8 },
    bootstrap: { samples: 500, seed: 0 },
  },
  world: {
    seed: 0,
    base: {
      pretrain: {
        corpus: 'world',
        tokens: 12000,
        tokenizer: { vocabSize: 384, docs: 60 },
        model: { dim: 32, nLayers: 2, nHeads: 4, nKvHeads: 2, hiddenDim: 64, maxSeqLen: 256 },
        docs: 1,
        heldoutDocs: 2,
        steps: 6,
        lr: 3e-3,
        batchSize: 4,
        gradAccum: 1,
        seed: 1,
      },
    },
    tuningRows: 16,
    evalPerGroup: 2,
    finetune: { lr: 2e-3, batchSize: 4, gradAccum: 1, maxSteps: 2, seqLen: 192, limaRows: 0, taskRows: 0, seed: 1 },
    maxNewTokens: 12,
    batchSize: 8,
    sampled: { temperature: 1, seeds: [1, 2, 3] },
    rank: { examples: 4, others: 2, batchSize: 12 },
  },
};

/** The world base's recipe (models/world-base; calibration attempt 5 in docs/world.md): a 2048-token
 *  BPE trained on world text and a 1.7M-parameter Llama (dim 128, 6 layers, 256-token context)
 *  trained on one pass over 7M tokens of a pair-heavy world corpus (45% request -> story pairs in
 *  natural wrappers, 18% drills; 1,709 steps of 16 x 256 tokens, ~72 min on 2 cores with the fast
 *  backend): in a world this small the model learns much of the request -> story mapping from them. */
export const WORLD_PRETRAIN: PretrainRecipe = {
  corpus: 'world',
  tokens: 7_000_000,
  tokenizer: { vocabSize: 2048, docs: 4000 },
  model: { dim: 128, nLayers: 6, nHeads: 4, nKvHeads: 4, hiddenDim: 384, maxSeqLen: 256 },
  docs: 1,
  heldoutDocs: 400,
  steps: 1709,
  lr: 3e-3,
  batchSize: 16,
  gradAccum: 1,
  seed: 42,
  mix: { story: 0.03, pair: 0.45, title: 0.03, summary: 0.08, worksheet: 0.05, facts: 0.1, qa: 0.08, drill: 0.18 },
};

/** The default study's world part: the committed world base, the world's 1,000-row sets, 70
 *  held-out evaluation items, greedy and three sampled runs. */
const WORLD_DEFAULT: WorldSettings = {
  seed: 0,
  base: { model: 'models/world-base' },
  tuningRows: 1000,
  evalPerGroup: 20,
  finetune: { lr: 1e-3, batchSize: 8, gradAccum: 1, maxSteps: 100, seqLen: 256, limaRows: 0, taskRows: 0, seed: 42 },
  maxNewTokens: 160,
  batchSize: 35,
  sampled: { temperature: 0.7, seeds: [1, 2, 3] },
  rank: { examples: 70, others: 5, batchSize: 16 },
};

const DEFAULT: StudyConfig = {
  name: 'default',
  about:
    'the committed base models (models/heed-base for the real-data arms, models/world-base for the story world), small subsets and step counts, about 12 minutes on a 2-core machine on the fast CPU backend',
  backend: 'auto',
  base: { model: 'models/heed-base' },
  finetune: { lr: 1e-3, batchSize: 8, gradAccum: 1, maxSteps: 12, seqLen: 256, limaRows: 240, taskRows: 240, longRows: 'drop', seed: 42 },
  eval: {
    instructions: 40,
    maxPromptChars: 600,
    maxNewTokens: 64,
    batchSize: 20,
    judge: DEFAULT_JUDGE,
    ifeval: { subset: 'knowledge-free', prompts: 48 },
    rank: { examples: 640, others: 5, batchSize: 16 },
    bootstrap: { samples: 2000, seed: 0 },
  },
  world: WORLD_DEFAULT,
};

/** heed-base's recipe for a 2-core machine without a GPU: about an hour on lavapipe (measured:
 *  ~6.3 s a step of 16 x 256 tokens, 600 steps, 2.5M tokens). A 4k BPE trained on the first 3,000
 *  documents and a 1.8M-parameter Llama (dim 128, 4 layers) with a 256-token context: at this
 *  budget a smaller model sees more tokens per parameter (the issue's 5.8M-parameter calibration
 *  needed two hours for 4.7M tokens) and keeps the study's finetuning and decoding fast. */
export const PRETRAIN_CPU: PretrainRecipe = {
  tokenizer: { vocabSize: 4096, docs: 3000 },
  model: { dim: 128, nLayers: 4, nHeads: 4, nKvHeads: 4, hiddenDim: 344, maxSeqLen: 256 },
  docs: 1200,
  heldoutDocs: 32,
  steps: 600,
  lr: 3e-3,
  batchSize: 16,
  gradAccum: 1,
  seed: 42,
};

/** A larger base for a GPU host: ~60M parameters, 512 context, about 200M tokens seen. */
export const PRETRAIN_GPU: PretrainRecipe = {
  tokenizer: { vocabSize: 8192, docs: 2000 },
  model: { dim: 512, nLayers: 12, nHeads: 8, nKvHeads: 8, hiddenDim: 1376, maxSeqLen: 512 },
  docs: 25362,
  heldoutDocs: 257,
  steps: 12000,
  lr: 1e-3,
  batchSize: 32,
  gradAccum: 1,
  seed: 42,
};

/** The paper's data sizes and epochs (LIMA 15 epochs, single tasks 1,000 rows; lr 1e-5, effective batch 64). */
const FULL: StudyConfig = {
  name: 'full',
  about: "the paper's data sizes and epochs (all 805 AlpacaEval instructions, 1,000 ranking examples), for a GPU host",
  backend: 'auto',
  base: { model: 'models/heed-base' },
  finetune: { lr: 1e-5, batchSize: 1, gradAccum: 64, epochs: 15, seqLen: 2048, limaRows: 0, taskRows: 1000, seed: 42 },
  eval: {
    instructions: 805,
    maxPromptChars: 0,
    maxNewTokens: 512,
    batchSize: 16,
    judge: DEFAULT_JUDGE,
    ifeval: { subset: 'knowledge-free', prompts: 0 },
    rank: { examples: 1000, others: 5, batchSize: 16 },
    bootstrap: { samples: 10000, seed: 0 },
  },
};

/** The default study, but pretraining its own base first with heed-base's CPU recipe. */
const SCRATCH: StudyConfig = {
  ...structuredClone(DEFAULT),
  name: 'scratch',
  about: "the default study on a base it pretrains first with heed-base's CPU recipe (about an hour more)",
  base: { pretrain: PRETRAIN_CPU },
};
/** The full study on a larger base it pretrains first, for a GPU host. */
const FULL_SCRATCH: StudyConfig = {
  ...structuredClone(FULL),
  name: 'full-scratch',
  about: 'the full study on a ~60M-parameter base it pretrains first, for a GPU host',
  base: { pretrain: PRETRAIN_GPU },
};

/** The default study's world part alone, on the committed world base. */
const WORLD: StudyConfig = {
  ...structuredClone(DEFAULT),
  name: 'world',
  about: 'the story world part alone (docs/world.md), on the committed world base models/world-base',
  parts: ['world'],
};
/** The world part on a world base it pretrains first (WORLD_PRETRAIN): how models/world-base is made. */
const WORLD_SCRATCH: StudyConfig = {
  ...structuredClone(WORLD),
  name: 'world-scratch',
  about: 'the story world part on a world base it pretrains first with the world recipe (makes models/world-base)',
  world: { ...structuredClone(WORLD_DEFAULT), base: { pretrain: WORLD_PRETRAIN } },
};

export const PRESETS: Record<string, StudyConfig> = {
  tiny: TINY,
  default: DEFAULT,
  full: FULL,
  scratch: SCRATCH,
  'full-scratch': FULL_SCRATCH,
  world: WORLD,
  'world-scratch': WORLD_SCRATCH,
};

type Obj = Record<string, unknown>;

/** A value for a message, cut so a huge field does not flood it. */
function short(v: unknown): string {
  const j = JSON.stringify(v) ?? String(v);
  return j.length > 80 ? `${j.slice(0, 77)}...` : j;
}

/** The data's real sizes (../shared/data): a config asking for more is refused, never silently clamped. */
export const DATA_SIZES = { limaRows: 1030, taskRows: 1000, alpacaEval: 805, ifevalPrompts: 541, rankPool: 2000 } as const;

/** Resource bounds: beyond these a run would not end in any sensible time or would not fit in memory. */
export const MAX = {
  steps: 1_000_000,
  epochs: 1000,
  batchSize: 4096,
  gradAccum: 4096,
  seqLen: 65536,
  maxNewTokens: 65536,
  seed: 2 ** 31 - 1,
  bootstrapSamples: 1_000_000,
  docs: 10_000_000,
  tokens: 10_000_000_000,
  vocabSize: 1 << 20,
  dim: 16384,
  nLayers: 512,
  hiddenDim: 65536,
  heads: 1024,
  parameters: 2_000_000_000,
  activations: 2 ** 32,
  promptChars: 1_000_000,
  rankOthers: 100,
  worldRows: 20_000,
  evalPerGroup: 1000,
  sampledSeeds: 100,
  temperature: 100,
} as const;

class Checker {
  errs: string[] = [];
  constructor(readonly where: string) {}
  obj(v: unknown, path: string): Obj | undefined {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      this.errs.push(`${path} must be an object`);
      return undefined;
    }
    return v as Obj;
  }
  /** A whole number in [min, max]; `why` says where the maximum comes from (the data's size, memory, time). */
  int(o: Obj | undefined, path: string, k: string, min: number, max: number, why = 'a sane bound', optional = false): void {
    const v = o?.[k];
    if (o === undefined || (optional && v === undefined)) return;
    if (!Number.isInteger(v) || (v as number) < min) this.errs.push(`${path}.${k} must be a whole number >= ${min}, got ${short(v)}`);
    else if ((v as number) > max) this.errs.push(`${path}.${k} is ${v}, above its maximum ${max} (${why})`);
  }
  pos(o: Obj | undefined, path: string, k: string, max = 1e6): void {
    const v = o?.[k];
    if (o !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v > 0 && v <= max))
      this.errs.push(`${path}.${k} must be a number > 0 and <= ${max}, got ${short(v)}`);
  }
  str(o: Obj | undefined, path: string, k: string): void {
    if (o !== undefined && (typeof o[k] !== 'string' || o[k] === ''))
      this.errs.push(`${path}.${k} must be a non-empty string, got ${short(o[k])}`);
  }
  known(o: Obj | undefined, path: string, keys: readonly string[]): void {
    for (const k of Object.keys(o ?? {}))
      if (!keys.includes(k)) this.errs.push(`${path}.${k} is not a known field (known: ${keys.join(', ')})`);
  }
}

/** Parameters and the largest training activations of a Llama of this shape (float counts). */
export function modelFootprint(
  m: PretrainRecipe['model'],
  vocabSize: number,
  batchSize: number,
): { parameters: number; activations: number } {
  const kvDim = (m.dim / m.nHeads) * m.nKvHeads;
  const perLayer = 2 * m.dim * m.dim + 2 * m.dim * kvDim + 3 * m.dim * m.hiddenDim + 2 * m.dim;
  const parameters = (m.tiedEmbeddings ? 1 : 2) * vocabSize * m.dim + m.nLayers * perLayer + m.dim;
  // Kept for the backward pass: per layer a few dim- and hidden-wide rows per token, and the attention scores.
  const tokens = batchSize * m.maxSeqLen;
  const activations =
    m.nLayers * (tokens * (6 * m.dim + 3 * m.hiddenDim) + batchSize * m.nHeads * m.maxSeqLen * m.maxSeqLen) + tokens * vocabSize;
  return { parameters, activations };
}

function checkModel(c: Checker, p: Obj, path: string): void {
  const m = c.obj(p.model, `${path}.model`);
  if (!m) return;
  c.known(m, `${path}.model`, ['dim', 'nLayers', 'nHeads', 'nKvHeads', 'hiddenDim', 'maxSeqLen', 'tiedEmbeddings']);
  if (m.tiedEmbeddings !== undefined && typeof m.tiedEmbeddings !== 'boolean')
    c.errs.push(`${path}.model.tiedEmbeddings must be true or false, got ${short(m.tiedEmbeddings)}`);
  const before = c.errs.length;
  c.int(m, `${path}.model`, 'dim', 2, MAX.dim, 'memory');
  c.int(m, `${path}.model`, 'nLayers', 1, MAX.nLayers, 'memory');
  c.int(m, `${path}.model`, 'nHeads', 1, MAX.heads);
  c.int(m, `${path}.model`, 'nKvHeads', 1, MAX.heads);
  c.int(m, `${path}.model`, 'hiddenDim', 1, MAX.hiddenDim, 'memory');
  c.int(m, `${path}.model`, 'maxSeqLen', 2, MAX.seqLen, 'memory');
  if (c.errs.length > before) return;
  const { dim, nHeads, nKvHeads } = m as PretrainRecipe['model'];
  if (dim % nHeads !== 0) c.errs.push(`${path}.model.nHeads (${nHeads}) must divide model.dim (${dim})`);
  else if ((dim / nHeads) % 2 !== 0)
    c.errs.push(`${path}.model: the head dimension dim / nHeads = ${dim / nHeads} must be even (rotary position embedding rotates pairs)`);
  if (nHeads % nKvHeads !== 0) c.errs.push(`${path}.model.nKvHeads (${nKvHeads}) must divide model.nHeads (${nHeads})`);
  const t = p.tokenizer as Obj | undefined;
  const vocab = t && Number.isInteger(t.vocabSize) ? (t.vocabSize as number) : 0;
  const batch = Number.isInteger(p.batchSize) ? (p.batchSize as number) : 1;
  if (c.errs.length > before || vocab === 0 || batch < 1 || batch > MAX.batchSize) return;
  const f = modelFootprint(m as PretrainRecipe['model'], vocab, batch);
  if (f.parameters > MAX.parameters)
    c.errs.push(
      `${path}.model: ${f.parameters.toExponential(2)} parameters, above the ${MAX.parameters.toExponential(0)} that fit in memory with their gradients and optimizer state`,
    );
  else if (f.activations > MAX.activations)
    c.errs.push(
      `${path}.model with batchSize ${batch}: about ${f.activations.toExponential(2)} activation values per step, above the ${MAX.activations.toExponential(2)} that fit in memory (lower batchSize, maxSeqLen or the model's size)`,
    );
}

function checkRecipe(c: Checker, raw: unknown, path: string): void {
  const p = c.obj(raw, path);
  c.known(p, path, [
    'corpus',
    'tokens',
    'mix',
    'tokenizer',
    'model',
    'docs',
    'heldoutDocs',
    'steps',
    'lr',
    'batchSize',
    'gradAccum',
    'seed',
    'copyWindows',
  ]);
  if (p && p.copyWindows !== undefined) {
    if (p.corpus !== 'world') c.errs.push(`${path}.copyWindows trains beside the world corpus only (corpus "world")`);
    const cw = c.obj(p.copyWindows, `${path}.copyWindows`);
    c.known(cw, `${path}.copyWindows`, ['docs', 'context', 'batchSize']);
    c.int(cw, `${path}.copyWindows`, 'docs', 1, MAX.docs, 'time');
    c.int(cw, `${path}.copyWindows`, 'context', 8, MAX.seqLen, 'memory');
    c.int(cw, `${path}.copyWindows`, 'batchSize', 1, MAX.batchSize, 'memory');
    const ctx = (p.model as { maxSeqLen?: unknown } | undefined)?.maxSeqLen;
    if (cw && typeof cw.context === 'number' && typeof ctx === 'number' && cw.context > ctx)
      c.errs.push(`${path}.copyWindows.context ${cw.context} is longer than the model's maxSeqLen ${ctx}`);
  }
  if (p && p.mix !== undefined) {
    if (p.corpus !== 'world') c.errs.push(`${path}.mix mixes the world corpus only (corpus "world")`);
    else if (typeof p.mix !== 'object' || p.mix === null || Array.isArray(p.mix))
      c.errs.push(`${path}.mix must be an object of shares by kind, got ${short(p.mix)}`);
    else
      try {
        resolveMix(p.mix as Partial<Mix>);
      } catch (e) {
        c.errs.push(`${path}.mix: ${(e as Error).message}`);
      }
  }
  if (p && p.corpus !== undefined && p.corpus !== 'pretrain-mix' && p.corpus !== 'world')
    c.errs.push(`${path}.corpus must be "pretrain-mix" or "world", got ${short(p.corpus)}`);
  if (p?.corpus === 'world') c.int(p, path, 'tokens', 1000, MAX.tokens, 'time');
  else if (p && p.tokens !== undefined)
    c.errs.push(`${path}.tokens sizes the world corpus only (corpus "world"); pretrain-mix is sized by docs`);
  const t = p && c.obj(p.tokenizer, `${path}.tokenizer`);
  c.int(t, `${path}.tokenizer`, 'vocabSize', 260, MAX.vocabSize, 'memory');
  c.int(t, `${path}.tokenizer`, 'docs', 1, MAX.docs, 'time');
  c.known(t, `${path}.tokenizer`, ['vocabSize', 'docs', 'chatTagsSpecial']);
  if (t && t.chatTagsSpecial !== undefined && typeof t.chatTagsSpecial !== 'boolean')
    c.errs.push(`${path}.tokenizer.chatTagsSpecial must be true or false, got ${short(t.chatTagsSpecial)}`);
  c.int(p, path, 'docs', 1, MAX.docs, 'time');
  c.int(p, path, 'steps', 1, MAX.steps, 'time');
  c.int(p, path, 'batchSize', 1, MAX.batchSize, 'memory');
  c.int(p, path, 'gradAccum', 1, MAX.gradAccum, 'time');
  c.int(p, path, 'heldoutDocs', 0, MAX.docs, 'time');
  c.int(p, path, 'seed', 0, MAX.seed);
  c.pos(p, path, 'lr', 10);
  if (p) checkModel(c, p, path);
}

function checkBase(c: Checker, raw: unknown, path: string): void {
  const base = c.obj(raw, path);
  if (!base) return;
  if (Object.hasOwn(base, 'model') === Object.hasOwn(base, 'pretrain'))
    c.errs.push(`${path} must hold exactly one of "model" (a model directory) or "pretrain" (a recipe)`);
  else if (Object.hasOwn(base, 'model')) c.str(base, path, 'model');
  else checkRecipe(c, base.pretrain, `${path}.pretrain`);
  c.known(base, path, ['model', 'pretrain']);
}

/** `rows`: whether limaRows/taskRows size the sets (the world part ignores them). */
function checkFinetune(c: Checker, raw: unknown, path: string, rows = true): void {
  const f = c.obj(raw, path);
  c.known(f, path, ['lr', 'batchSize', 'gradAccum', 'maxSteps', 'epochs', 'seqLen', 'limaRows', 'taskRows', 'longRows', 'seed']);
  if (f && f.longRows !== undefined && f.longRows !== 'truncate' && f.longRows !== 'drop')
    c.errs.push(`${path}.longRows must be "truncate" or "drop", got ${short(f.longRows)}`);
  c.pos(f, path, 'lr', 10);
  c.int(f, path, 'batchSize', 1, MAX.batchSize, 'memory');
  c.int(f, path, 'gradAccum', 1, MAX.gradAccum, 'time');
  c.int(f, path, 'seqLen', 2, MAX.seqLen, 'memory');
  c.int(f, path, 'limaRows', 0, rows ? DATA_SIZES.limaRows : MAX.worldRows, `LIMA has ${DATA_SIZES.limaRows} rows; 0 = all`);
  c.int(
    f,
    path,
    'taskRows',
    0,
    rows ? DATA_SIZES.taskRows : MAX.worldRows,
    `each single-task set holds at most ${DATA_SIZES.taskRows} rows; 0 = all`,
  );
  c.int(f, path, 'seed', 0, MAX.seed);
  c.int(f, path, 'maxSteps', 1, MAX.steps, 'time', true);
  c.int(f, path, 'epochs', 1, MAX.epochs, 'time', true);
  if (f && f.maxSteps === undefined && f.epochs === undefined)
    c.errs.push(`${path} needs maxSteps or epochs (or both: whichever ends first)`);
}

function checkRank(c: Checker, raw: unknown, path: string, examples: number, why: string): void {
  const rk = c.obj(raw, path);
  c.known(rk, path, ['examples', 'others', 'batchSize']);
  c.int(rk, path, 'examples', 2, examples, why);
  c.int(rk, path, 'others', 1, MAX.rankOthers, 'time');
  c.int(rk, path, 'batchSize', 1, MAX.batchSize, 'memory');
  if (rk && Number.isInteger(rk.others) && Number.isInteger(rk.examples) && (rk.others as number) >= (rk.examples as number))
    c.errs.push(
      `${path}.others (${rk.others}) must be below ${path}.examples (${rk.examples}): the others are drawn from the other examples`,
    );
}

function checkWorld(c: Checker, raw: unknown): void {
  const w = c.obj(raw, 'config.world');
  if (!w) return;
  c.known(w, 'config.world', [
    'seed',
    'stories',
    'base',
    'tuningRows',
    'evalPerGroup',
    'finetune',
    'maxNewTokens',
    'batchSize',
    'sampled',
    'rank',
  ]);
  c.int(w, 'config.world', 'seed', 0, 2 ** 30 - 1, 'the world generator takes seeds below 2^30');
  if (w.stories !== undefined && !isStoryOrder(w.stories))
    c.errs.push(`config.world.stories must be one of ${STORY_ORDERS.map((o) => `"${o}"`).join(', ')}, got ${short(w.stories)}`);
  checkBase(c, w.base, 'config.world.base');
  const b = w.base as Obj | undefined;
  const p = b && typeof b === 'object' && Object.hasOwn(b, 'pretrain') ? (b.pretrain as Obj | undefined) : undefined;
  if (p && typeof p === 'object' && p.corpus !== 'world')
    c.errs.push('config.world.base.pretrain.corpus must be "world" (the world base never sees pretrain-mix)');
  c.int(w, 'config.world', 'tuningRows', 2, MAX.worldRows, 'time to draw the sets');
  c.int(w, 'config.world', 'evalPerGroup', 2, MAX.evalPerGroup, 'time to draw and judge the evaluation set');
  c.int(w, 'config.world', 'maxNewTokens', 2, MAX.maxNewTokens, 'time');
  c.int(w, 'config.world', 'batchSize', 2, MAX.batchSize, 'memory');
  checkFinetune(c, w.finetune, 'config.world.finetune', false);
  const s = c.obj(w.sampled, 'config.world.sampled');
  if (s) {
    c.known(s, 'config.world.sampled', ['temperature', 'seeds']);
    c.pos(s, 'config.world.sampled', 'temperature', MAX.temperature);
    if (
      !Array.isArray(s.seeds) ||
      s.seeds.length > MAX.sampledSeeds ||
      s.seeds.some((x) => !Number.isInteger(x) || (x as number) < 0 || (x as number) > MAX.seed) ||
      new Set(s.seeds).size !== s.seeds.length
    )
      c.errs.push(
        `config.world.sampled.seeds must be a list of distinct whole numbers (at most ${MAX.sampledSeeds}, each in [0, ${MAX.seed}]; empty: greedy only), got ${short(s.seeds)}`,
      );
  }
  // The ranking probe ranks evaluation items: at most 3.5 x evalPerGroup of them.
  const items = Number.isInteger(w.evalPerGroup)
    ? 3 * (w.evalPerGroup as number) + 2 * Math.ceil((w.evalPerGroup as number) / 2)
    : MAX.evalPerGroup * 4;
  checkRank(c, w.rank, 'config.world.rank', items, `the world's evaluation set has ${items} items at this evalPerGroup`);
}

/** Checks every field of a study config; throws one error listing every problem. */
export function validateStudyConfig(raw: unknown, where: string): StudyConfig {
  const c = new Checker(where);
  const top = c.obj(raw, 'config');
  if (!top) throw new Error(`${where}: the study config must be a JSON object`);
  c.known(top, 'config', ['name', 'about', 'backend', 'base', 'finetune', 'eval', 'arms', 'world', 'parts']);
  c.str(top, 'config', 'name');
  if (typeof top.name === 'string' && !/^[A-Za-z0-9._-]+$/.test(top.name))
    c.errs.push(`config.name must use letters, digits, '.', '_' or '-' (it names the output folder), got ${short(top.name)}`);
  if (top.about !== undefined && typeof top.about !== 'string') c.errs.push('config.about must be a string');
  if (!isBackendName(top.backend))
    c.errs.push(`config.backend must be one of ${BACKEND_NAMES.map((b) => `"${b}"`).join(', ')}, got ${short(top.backend)}`);
  checkBase(c, top.base, 'config.base');
  checkFinetune(c, top.finetune, 'config.finetune');
  const e = c.obj(top.eval, 'config.eval');
  c.known(e, 'config.eval', ['instructions', 'maxPromptChars', 'maxNewTokens', 'batchSize', 'judge', 'ifeval', 'rank', 'bootstrap']);
  c.int(e, 'config.eval', 'instructions', 1, DATA_SIZES.alpacaEval, `AlpacaEval has ${DATA_SIZES.alpacaEval} instructions`);
  c.int(e, 'config.eval', 'maxNewTokens', 1, MAX.maxNewTokens, 'time');
  c.int(e, 'config.eval', 'batchSize', 1, MAX.batchSize, 'memory');
  c.int(e, 'config.eval', 'maxPromptChars', 0, MAX.promptChars);
  c.str(e, 'config.eval', 'judge');
  if (e && typeof e.judge === 'string' && e.judge !== '') {
    try {
      checkJudgeSpec(e.judge);
    } catch (err) {
      c.errs.push(`config.eval.judge: ${(err as Error).message}`);
    }
  }
  const ife = e && c.obj(e.ifeval, 'config.eval.ifeval');
  c.known(ife, 'config.eval.ifeval', ['subset', 'prompts']);
  if (ife && ife.subset !== 'knowledge-free' && ife.subset !== 'all')
    c.errs.push(`config.eval.ifeval.subset must be "knowledge-free" or "all", got ${short(ife.subset)}`);
  c.int(ife, 'config.eval.ifeval', 'prompts', 0, DATA_SIZES.ifevalPrompts, `IFEval has ${DATA_SIZES.ifevalPrompts} prompts; 0 = all`);
  if (e)
    checkRank(c, e.rank, 'config.eval.rank', DATA_SIZES.rankPool, `the ranking probe draws from ${DATA_SIZES.rankPool} Alpaca examples`);
  const bs = e && c.obj(e.bootstrap, 'config.eval.bootstrap');
  c.known(bs, 'config.eval.bootstrap', ['samples', 'seed']);
  c.int(bs, 'config.eval.bootstrap', 'samples', 100, MAX.bootstrapSamples, 'time and memory');
  c.int(bs, 'config.eval.bootstrap', 'seed', 0, MAX.seed);
  if (top.arms !== undefined) {
    if (!Array.isArray(top.arms) || top.arms.length === 0) c.errs.push('config.arms must be a non-empty list of arm names');
    else
      for (const a of top.arms)
        if (!(ARM_NAMES as readonly unknown[]).includes(a))
          c.errs.push(`config.arms: unknown arm ${short(a)} (known: ${ARM_NAMES.join(', ')})`);
  }
  if (top.world !== undefined) checkWorld(c, top.world);
  if (
    top.parts !== undefined &&
    (!Array.isArray(top.parts) || top.parts.length === 0 || top.parts.some((x) => x !== 'real' && x !== 'world'))
  )
    c.errs.push(`config.parts must be a non-empty list of "real" and/or "world", got ${short(top.parts)}`);
  if (Array.isArray(top.parts) && top.parts.includes('world') && top.world === undefined)
    c.errs.push('config.parts names "world" but the config has no "world" section');
  if (c.errs.length) throw new Error(`${where}: invalid study config:\n  ${c.errs.join('\n  ')}`);
  return raw as StudyConfig;
}

/** How messages name a config: "preset NAME" or its file path. */
export function configLabel(spec: string): string {
  return Object.hasOwn(PRESETS, spec) ? `preset ${spec}` : `study config ${spec}`;
}

/** A preset name or a JSON file, checked whole before anything runs. */
export function loadStudyConfig(spec: string): StudyConfig {
  if (Object.hasOwn(PRESETS, spec)) return structuredClone(PRESETS[spec]!);
  if (!existsSync(spec)) throw new Error(`--config "${spec}": not a preset (${Object.keys(PRESETS).join(', ')}) and no such file`);
  if (statSync(spec).isDirectory()) throw new Error(`--config "${spec}": is a directory, not a study config file`);
  return validateStudyConfig(readJsonFile(spec, 'study config'), configLabel(spec));
}

/** The parts a config runs: both by default ('world' only with a world section), as `parts` and `arms` allow. */
export function partsOf(cfg: StudyConfig): ('real' | 'world')[] {
  const all: ('real' | 'world')[] = cfg.world ? ['real', 'world'] : ['real'];
  const picked = cfg.parts ? all.filter((p) => cfg.parts!.includes(p)) : all;
  // An arms list that names no arm of a part leaves that part out (--arms base: no world part).
  const named = cfg.arms?.map((a) => (a.startsWith('world:') ? 'world' : 'real'));
  return named ? picked.filter((p) => named.includes(p)) : picked;
}

/** The arms a config runs, in ARM_NAMES order, of the parts it runs; each part's instruction-tuned
 *  reference is always among them. */
export function armsOf(cfg: StudyConfig): string[] {
  const parts = partsOf(cfg);
  const want = new Set(cfg.arms ?? ARM_NAMES);
  if (parts.includes('real')) want.add(REFERENCE_ARM);
  if (parts.includes('world')) want.add(WORLD_REFERENCE_ARM);
  return ARM_NAMES.filter((a) => want.has(a) && parts.includes(armOf(a).world ? 'world' : 'real'));
}

// Presets are checked like files, so a bad edit here fails at load, not mid-study.
for (const [k, v] of Object.entries(PRESETS)) validateStudyConfig(v, `preset ${k}`);
