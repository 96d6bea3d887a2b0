// The world part's stage bodies (run through the study's stage cache by pipeline.ts): answers to
// the world's held-out evaluation set (greedy and sampled, in the chat template or inside a
// pretraining wrapper) through the evaluator's one generator, and the ranking probe on the world
// base in the chat template and in a wrapper. Judging is exact and cheap (src/eval/world), so it
// is done in memory from these answers (worldMeasures.ts).
import { join } from 'node:path';
import { Rng } from '../core/random.ts';
import type { ChatTemplate } from '../data/templates.ts';
import { PAIR_WRAPPERS, factPrompt, wrapperPrompt } from '../data/world/wrappers.ts';
import type { EvalItem } from '../data/world/sets.ts';
import { generateAnswers } from '../eval/generate.ts';
import { rankProbe, type ScoredSequence } from '../eval/rank.ts';
import { firstLine } from '../eval/world/text.ts';
import type { Llama } from '../nn/llama.ts';
import type { Tokenizer } from '../tokenizer/tokenizer.ts';
import type { Arm } from './arms.ts';
import type { WorldSettings } from './config.ts';

/** One decoding setting's answers, in evaluation order: the judged text (the continuation's first
 *  line: stories and answers are one line), whether it ended with EOS, its token count. */
export interface WorldRun {
  setting: string;
  outputs: string;
  answers: string[];
  eos: number[];
  tokens: number[];
}

export interface WorldGenResult {
  /** 'greedy' first, then one run per sampled seed. */
  runs: WorldRun[];
}

/** The wrapper prompt of evaluation item i: the wrappers in turn, each item's own seeded draw. */
export function itemWrapperPrompt(item: Pick<EvalItem, 'request'>, i: number): string {
  const r = item.request;
  return r.kind === 'fact' ? factPrompt(r.text) : wrapperPrompt(PAIR_WRAPPERS[i % PAIR_WRAPPERS.length]!, r.text, new Rng(0x3a9 + i));
}

/** A template whose generation prompt is the request inside its pretraining wrapper (no chat tags). */
export function wrapperTemplate(items: readonly EvalItem[]): ChatTemplate {
  const prompts = new Map(items.map((it, i) => [it.request.text.trim(), itemWrapperPrompt(it, i)]));
  return {
    name: 'world-wrapper',
    render: () => {
      throw new Error('the world wrapper template only writes generation prompts');
    },
    generationPrompt: (instruction) => {
      const p = prompts.get(instruction);
      if (p === undefined) throw new Error(`world wrapper template: no evaluation item asks ${JSON.stringify(instruction)}`);
      return p;
    },
  };
}

export interface WorldGenContext {
  model: Llama;
  tokenizer: Tokenizer;
  items: readonly EvalItem[];
  w: WorldSettings;
  generator: string;
  onProgress: (what: string, frac: number) => void;
}

/** Greedy answers, then one sampled run per seed, each in its own model_outputs file. */
export async function worldGenerate(ctx: WorldGenContext, arm: Arm, dir: string): Promise<WorldGenResult> {
  const { w, items } = ctx;
  const instructions = items.map((it) => ({ instruction: it.request.text, dataset: `world:${it.group}` }));
  const settings: { setting: string; file: string; sampling?: { temperature: number; seed: number } }[] = [
    { setting: 'greedy', file: 'model_outputs.json' },
    ...w.sampled.seeds.map((seed) => ({
      setting: `T=${w.sampled.temperature} seed ${seed}`,
      file: `model_outputs.seed-${seed}.json`,
      sampling: { temperature: w.sampled.temperature, seed },
    })),
  ];
  const runs: WorldRun[] = [];
  for (const [k, s] of settings.entries()) {
    const outputs = join(dir, s.file);
    const res = await generateAnswers({
      model: ctx.model,
      tokenizer: ctx.tokenizer,
      instructions,
      generator: ctx.generator,
      out: outputs,
      metaPath: outputs.replace(/\.json$/, '.meta.json'),
      batchSize: w.batchSize,
      maxNewTokens: w.maxNewTokens,
      ...(arm.rules ? { rules: new Set(arm.rules) } : {}),
      ...(arm.prompt === 'wrapper' ? { template: wrapperTemplate(items) } : {}),
      ...(s.sampling ? { sampling: s.sampling } : {}),
      onProgress: (d) => ctx.onProgress(`${s.setting} ${d}/${items.length}`, (k + d / items.length) / settings.length),
    });
    runs.push({
      setting: s.setting,
      outputs,
      answers: res.rows.map((r) => firstLine(r.output)),
      eos: res.meta.map((m) => (m.eos ? 1 : 0)),
      tokens: res.meta.map((m) => m.tokens),
    });
  }
  return { runs };
}

export interface WorldRankSummary {
  chat: { accuracy: number; se: number };
  wrapper: { accuracy: number; se: number };
  n: number;
  others: number;
  chance: number;
}

/** A story scored after the request inside its wrapper: the response tokens after the wrapper's prompt. */
function wrapperPair(tok: Tokenizer, items: readonly EvalItem[]) {
  return (_t: Tokenizer, _instruction: string, response: string, index: number): ScoredSequence => {
    const prompt = itemWrapperPrompt({ request: items[index]!.request }, index);
    const sep = /\s$/.test(prompt) ? '' : ' ';
    const start = tok.encode(prompt, { bos: true }).length;
    return { ids: tok.encode(`${prompt}${sep}${response}\n`, { bos: true }), start };
  };
}

/** The ranking probe on the world base: each story item's reference story against others', after its request. */
export async function worldRank(
  model: Llama,
  tok: Tokenizer,
  items: readonly EvalItem[],
  w: WorldSettings,
  onProgress: (what: string, frac: number) => void,
): Promise<WorldRankSummary> {
  const stories = items.filter((it) => it.request.kind === 'story');
  const n = Math.min(w.rank.examples, stories.length);
  const data = stories.map((it) => ({ instruction: it.request.text, response: it.reference }));
  const common = { n, others: w.rank.others, seed: 0, batchSize: w.rank.batchSize };
  const chat = await rankProbe(model, tok, data, {
    ...common,
    onProgress: (d, t) => onProgress(`chat template ${d}/${t} sequences`, d / Math.max(t, 1) / 2),
  });
  const wrapped = await rankProbe(model, tok, data, {
    ...common,
    encode: wrapperPair(tok, stories),
    onProgress: (d, t) => onProgress(`wrapper ${d}/${t} sequences`, 0.5 + d / Math.max(t, 1) / 2),
  });
  return {
    chat: { accuracy: chat.accuracy, se: chat.se },
    wrapper: { accuracy: wrapped.accuracy, se: wrapped.se },
    n: chat.n,
    others: chat.others,
    chance: chat.chance,
  };
}
