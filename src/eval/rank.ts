// The response-ranking probe (Hewitt et al. 2024, §3 and Table 2): does a model, before any
// instruction tuning, already prefer an instruction's own response to responses written for other
// instructions? For each of N Alpaca examples, the true response and K responses of other examples
// are scored under the chat template with the true instruction, score = exp(−mean NLL of the
// response tokens and EOS); the probe reports how often the true response scores highest.
//
// As open-instruct's ratio_eval.py does: each text is `<|user|>\n{instruction}\n<|assistant|>\n
// {response}</s>` (instruction and response stripped), tokenized as one string with BOS; the scored
// span starts at the token length of the prompt part; sequences longer than the model's context
// are truncated. Unlike that script, each sequence gets its own mean (not a batch-wide mean) and
// the other responses are distinct and never the example's own.
import { mean, standardError } from '../util/stats.ts';
import { readJsonFile } from '../io/json.ts';
import { Rng } from '../core/random.ts';
import { fromArray, noGrad, scopeAsync } from '../core/tensor.ts';
import type { Llama } from '../nn/llama.ts';
import { crossEntropyRows } from '../ops/loss.ts';
import { CHAT_EOS, chatText, type Tokenizer } from '../tokenizer/tokenizer.ts';
import { pyStrip } from './ifeval/pytext.ts';

export interface RankExample {
  instruction: string;
  response: string;
}

/** Alpaca JSON ([{instruction, input, output}]); a non-empty input joins the instruction after a blank line
 *  (open-instruct's conversion of Alpaca to chat messages). */
export function readAlpaca(path: string): RankExample[] {
  const rows = readJsonFile(path, 'Alpaca JSON file');
  if (!Array.isArray(rows)) throw new Error(`${path}: expected a JSON list of {instruction, input, output}`);
  return rows.map((row, i) => {
    if (typeof row !== 'object' || row === null || Array.isArray(row))
      throw new Error(
        `${path}: row ${i} must be an object {instruction, input, output}, got ${row === null ? 'null' : Array.isArray(row) ? 'a list' : typeof row}`,
      );
    const r = row as { instruction?: unknown; input?: unknown; output?: unknown };
    if (typeof r.instruction !== 'string' || typeof r.output !== 'string' || (r.input !== undefined && typeof r.input !== 'string')) {
      throw new Error(`${path}: row ${i} needs string "instruction" and "output" (and "input", if present)`);
    }
    // Python's str.strip(), as open-instruct strips each message.
    if (pyStrip(r.output) === '') throw new Error(`${path}: row ${i} has an empty "output"`);
    const input = pyStrip(r.input ?? '');
    return { instruction: input ? `${pyStrip(r.instruction)}\n\n${input}` : pyStrip(r.instruction), response: pyStrip(r.output) };
  });
}

/** For each of n examples, k distinct indices of other examples, drawn with a seeded generator. */
export function drawOthers(n: number, k: number, seed: number): number[][] {
  if (!(Number.isInteger(k) && k >= 1)) throw new Error(`the number of other responses must be a positive integer, got ${k}`);
  if (k > n - 1) throw new Error(`${k} other responses per example need at least ${k + 1} examples, got ${n}`);
  const rng = new Rng(seed);
  return Array.from({ length: n }, (_, i) => {
    const picked = new Set<number>();
    while (picked.size < k) {
      const j = rng.int(n - 1);
      picked.add(j >= i ? j + 1 : j); // uniform over the n − 1 others
    }
    return [...picked];
  });
}

export interface ScoredSequence {
  /** Token ids, BOS first. */
  ids: number[];
  /** Index of the first scored token (the prompt's token length). */
  start: number;
}

/** Token ids of instruction + response under the chat template, and where the response starts.
 *  `</s>` becomes the EOS id when the tokenizer knows it as a special token; otherwise EOS is appended. */
export function encodePair(tok: Tokenizer, instruction: string, response: string): ScoredSequence {
  const start = tok.encode(chatText(instruction), { bos: true }).length;
  const eosIsSpecial = tok.specialTokens().get(CHAT_EOS) === tok.eos;
  const ids = eosIsSpecial
    ? tok.encode(chatText(instruction, response), { bos: true })
    : [...tok.encode(chatText(instruction) + response, { bos: true }), tok.eos];
  return { ids, start };
}

export interface NllOptions {
  /** Sequences per forward pass. */
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
}

/**
 * Mean negative log-likelihood of tokens start..end of each sequence given everything before,
 * NaN where that span is empty. Sequences are sorted by length and right-padded into batches:
 * with causal attention a real position never sees the padding after it, so no mask is needed.
 */
export async function meanNll(model: Llama, seqs: ScoredSequence[], opts: NllOptions): Promise<number[]> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1))
    throw new Error(`batch size must be a positive integer, got ${opts.batchSize}`);
  const V = model.config.vocabSize;
  for (const s of seqs) {
    if (s.ids.length > model.config.maxSeqLen)
      throw new Error(`a sequence of ${s.ids.length} tokens exceeds the model's maxSeqLen ${model.config.maxSeqLen}`);
    if (!(Number.isInteger(s.start) && s.start >= 1)) throw new Error(`scored span must start after the first token, got ${s.start}`);
    for (const id of s.ids)
      if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new Error(`token id ${id} is outside the vocabulary (size ${V})`);
  }
  const order = seqs.map((_, i) => i).sort((a, b) => seqs[a]!.ids.length - seqs[b]!.ids.length);
  const out = new Array<number>(seqs.length).fill(NaN);
  for (let b0 = 0; b0 < order.length; b0 += opts.batchSize) {
    const batch = order.slice(b0, b0 + opts.batchSize);
    const T = Math.max(...batch.map((i) => seqs[i]!.ids.length));
    const B = batch.length;
    const ids = new Int32Array(B * T);
    const targets = new Int32Array(B * T).fill(-100);
    batch.forEach((si, r) => {
      const { ids: s, start } = seqs[si]!;
      ids.set(s, r * T);
      // Position t predicts token t + 1.
      for (let t = start - 1; t + 1 < s.length; t++) targets[r * T + t] = s[t + 1]!;
    });
    const nll = await scopeAsync(async () =>
      noGrad(() => {
        const logits = model.forward(fromArray(ids, [B, T], { dtype: 'i32', backend: model.backend }));
        return crossEntropyRows(logits, fromArray(targets, [B, T], { dtype: 'i32', backend: model.backend }));
      }).data(),
    );
    batch.forEach((si, r) => {
      let sum = 0;
      let n = 0;
      for (let t = 0; t < T; t++) {
        if (targets[r * T + t] === -100) continue;
        sum += nll[r * T + t]!;
        n++;
      }
      out[si] = n > 0 ? sum / n : NaN;
    });
    opts.onProgress?.(Math.min(b0 + opts.batchSize, order.length), order.length);
  }
  return out;
}

/**
 * Credit for one example: 1 when the true response scores strictly highest, 0 when another scores
 * higher, and 1/m when it shares the top score with m − 1 others (the expected result of breaking
 * the tie at random). Scores are compared as mean NLLs (lower is better), which exp(−·) preserves.
 */
export function rankCredit(trueNll: number, otherNlls: number[]): number {
  if (!Number.isFinite(trueNll) || otherNlls.some((x) => !Number.isFinite(x))) throw new Error('rankCredit: every score must be finite');
  if (otherNlls.some((x) => x < trueNll)) return 0;
  return 1 / (1 + otherNlls.filter((x) => x === trueNll).length);
}

/** Mean and its standard error, sample standard deviation (n − 1) over √n, as AlpacaEval and scipy report. */
export function meanAndStandardError(xs: number[]): { mean: number; se: number } {
  if (xs.length === 0) throw new Error('no values');
  return { mean: mean(xs), se: standardError(xs) };
}

export interface RankOptions {
  /** Examples used (the first n of the data set). */
  n: number;
  /** Other responses per example. */
  others: number;
  seed: number;
  batchSize: number;
  onProgress?: (done: number, total: number) => void;
  /** How an instruction and a response become a scored sequence (default: encodePair, the chat
   *  template); `index` is the example's, so a format may vary per example deterministically. */
  encode?: (tok: Tokenizer, instruction: string, response: string, index: number) => ScoredSequence;
}

export interface RankResult {
  /** Fraction of examples whose true response scores highest (ties shared), and its standard error. */
  accuracy: number;
  se: number;
  n: number;
  others: number;
  seed: number;
  /** Examples whose true response shares the top score with another. */
  ties: number;
  /** Sequences cut to the model's context (open-instruct truncates the same way). */
  truncated: number;
  /** Examples left out because some candidate kept no response token after truncation. */
  excluded: number;
  /** Chance level, 1 / (others + 1). */
  chance: number;
  perExample: { index: number; others: number[]; trueScore: number; otherScores: number[]; credit: number }[];
}

export async function rankProbe(model: Llama, tok: Tokenizer, data: RankExample[], opts: RankOptions): Promise<RankResult> {
  if (!(Number.isInteger(opts.n) && opts.n >= 2)) throw new Error(`n must be an integer ≥ 2, got ${opts.n}`);
  if (opts.n > data.length) throw new Error(`n = ${opts.n} but the data set has ${data.length} examples`);
  const examples = data.slice(0, opts.n);
  const others = drawOthers(opts.n, opts.others, opts.seed);
  // Unique sequences only: identical token sequences must get identical scores (an exact tie),
  // whatever batch and padding they would land in.
  const keyOf = (s: ScoredSequence) => `${s.start}:${s.ids.join(',')}`;
  const unique = new Map<string, ScoredSequence>();
  let truncated = 0;
  const candidateKeys = examples.map((ex, i) =>
    [i, ...others[i]!].map((j) => {
      const full = (opts.encode ?? encodePair)(tok, ex.instruction, examples[j]!.response, i);
      const s = full.ids.length > model.config.maxSeqLen ? { ids: full.ids.slice(0, model.config.maxSeqLen), start: full.start } : full;
      if (s !== full) truncated++;
      const key = keyOf(s);
      if (!unique.has(key)) unique.set(key, s);
      return key;
    }),
  );
  const seqs = [...unique.values()];
  const nlls = await meanNll(model, seqs, { batchSize: opts.batchSize, ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
  const nllOf = new Map([...unique.keys()].map((k, i) => [k, nlls[i]!]));
  const perExample: RankResult['perExample'] = [];
  let excluded = 0;
  let ties = 0;
  candidateKeys.forEach((keys, i) => {
    const s = keys.map((k) => nllOf.get(k)!);
    if (s.some((x) => Number.isNaN(x))) {
      excluded++;
      return;
    }
    const credit = rankCredit(s[0]!, s.slice(1));
    if (credit > 0 && credit < 1) ties++;
    perExample.push({
      index: i,
      others: others[i]!,
      trueScore: Math.exp(-s[0]!),
      otherScores: s.slice(1).map((x) => Math.exp(-x)),
      credit,
    });
  });
  if (perExample.length === 0) throw new Error('no example could be scored (every one lost its response to truncation)');
  const { mean, se } = meanAndStandardError(perExample.map((e) => e.credit));
  return {
    accuracy: mean,
    se,
    n: perExample.length,
    others: opts.others,
    seed: opts.seed,
    ties,
    truncated,
    excluded,
    chance: 1 / (opts.others + 1),
    perExample,
  };
}
