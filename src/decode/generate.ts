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

/** Generates continuations of equally long prompts in one batch; returns the new ids per stream. */
export async function generateBatch(model: Llama, prompts: number[][], opts: GenerateOptions): Promise<number[][]> {
  const B = prompts.length;
  const T = prompts[0]?.length ?? 0;
  if (B === 0 || T === 0) throw new Error('generate: need at least one non-empty prompt');
  if (prompts.some((p) => p.length !== T)) throw new Error('generate: batched prompts must have equal length');
  const V = model.config.vocabSize;
  for (const p of prompts) for (const id of p) if (!(id >= 0 && id < V)) throw new Error(`generate: token id ${id} is outside the vocabulary (size ${V})`);
  const capacity = Math.min(model.config.maxSeqLen, T + opts.maxTokens);
  const cache = new KVCache(model.config, B, model.backend, capacity, model.dtype);
  const rng = new Rng(opts.seed ?? 0);
  const stop = new Set(opts.stopIds ?? []);
  const out: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  let input = prompts.flat();
  let len = T;
  try {
    while (cache.length + len <= capacity && out.some((o, b) => !done[b] && o.length < opts.maxTokens)) {
      const logits = await scopeAsync(async () =>
        noGrad(() => model.forward(fromArray(Int32Array.from(input), [B, len], { dtype: 'i32', backend: model.backend }), { cache, lastOnly: true })).data(),
      );
      const next: number[] = [];
      for (let b = 0; b < B; b++) {
        const id = sample(logits, opts.temperature ?? 0, rng, b * V, V);
        next.push(id);
        if (done[b]) continue;
        if (stop.has(id) || out[b]!.length >= opts.maxTokens) {
          done[b] = true;
          continue;
        }
        out[b]!.push(id);
        opts.onToken?.(id, b);
        if (out[b]!.length >= opts.maxTokens) done[b] = true;
      }
      if (done.every(Boolean)) break;
      input = next;
      len = 1;
    }
  } finally {
    cache.dispose();
  }
  return out;
}

export async function generate(model: Llama, prompt: number[], opts: GenerateOptions): Promise<number[]> {
  return (await generateBatch(model, [prompt], opts))[0]!;
}
