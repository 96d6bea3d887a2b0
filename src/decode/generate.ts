// Autoregressive generation with a KV cache: one prefill over the prompt, then one position per
// step. Logits of the last position come back to the host for sampling.
import { Rng } from '../core/random.ts';
import { fromArray, noGrad, scopeAsync } from '../core/tensor.ts';
import { KVCache, type Llama } from '../nn/llama.ts';
import { sample } from './sample.ts';

export interface GenerateOptions {
  /** New tokens to generate at most. */
  maxTokens: number;
  /** 0 = greedy. */
  temperature?: number;
  seed?: number;
  /** Generation ends when one of these is produced (not emitted). */
  stopIds?: number[];
  /** Called with each new token as it is produced (streaming). */
  onToken?: (id: number, stream: number) => void;
}

/** Generates continuations of several prompts in one batch; returns the new ids per stream.
 *  Prompts of different lengths are left-padded and the padding is masked out of attention
 *  (RoPE is relative, so a row shifted right by its padding attends exactly as it would alone,
 *  up to f32 rounding of the angles). */
export async function generateBatch(model: Llama, prompts: number[][], opts: GenerateOptions): Promise<number[][]> {
  const B = prompts.length;
  if (B === 0 || prompts.some((p) => p.length === 0)) throw new Error('generate: every prompt needs at least one token (e.g. BOS)');
  const V = model.config.vocabSize;
  for (const p of prompts) for (const id of p) if (!(Number.isInteger(id) && id >= 0 && id < V)) throw new Error(`generate: token id ${id} is outside the vocabulary (size ${V})`);
  const T = Math.max(...prompts.map((p) => p.length));
  if (T >= model.config.maxSeqLen) throw new Error(`generate: a prompt of ${T} tokens leaves no room in maxSeqLen ${model.config.maxSeqLen}`);
  const capacity = Math.min(model.config.maxSeqLen, T + opts.maxTokens);
  const pads = prompts.map((p) => T - p.length);
  const cache = new KVCache(model.config, B, model.backend, capacity, model.dtype);
  // [B, capacity]: 0 on each row's left padding; later positions are excluded by causality.
  const keyMask = pads.some((n) => n > 0)
    ? fromArray(Int32Array.from({ length: B * capacity }, (_, i) => (i % capacity < pads[Math.floor(i / capacity)]! ? 0 : 1)), [B, capacity], { dtype: 'i32', backend: model.backend }).keep()
    : undefined;
  const rng = new Rng(opts.seed ?? 0);
  const stop = new Set(opts.stopIds ?? []);
  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  let input = prompts.flatMap((p, b) => [...new Array<number>(pads[b]!).fill(0), ...p]);
  let len = T;
  try {
    while (cache.length + len <= capacity && !done.every(Boolean)) {
      const logits = await scopeAsync(async () =>
        noGrad(() =>
          model.forward(fromArray(Int32Array.from(input), [B, len], { dtype: 'i32', backend: model.backend }), { cache, lastOnly: true, ...(keyMask ? { keyMask } : {}) }),
        ).data(),
      );
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        const id = sample(logits, opts.temperature ?? 0, rng, b * V, V);
        next.push(id);
        if (done[b]) continue;
        if (stop.has(id)) {
          done[b] = true;
          continue;
        }
        out[b]!.push(id);
        opts.onToken?.(id, b);
        if (out[b]!.length >= opts.maxTokens) done[b] = true;
      }
      input = next;
      len = 1;
    }
  } finally {
    cache.dispose();
    keyMask?.dispose();
  }
  return out;
}

export async function generate(model: Llama, prompt: number[], opts: GenerateOptions): Promise<number[]> {
  return (await generateBatch(model, [prompt], opts))[0]!;
}
