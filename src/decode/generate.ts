// Autoregressive generation with a KV cache: one prefill over the prompt, then one position per
// step. Logits of the last position come back to the host, where each row's processors, sampler
// and stop rules run (src/decode/sequence.ts).
import { fromArray, noGrad, scopeAsync } from '../core/tensor.ts';
import { KVCache, type Llama } from '../nn/llama.ts';
import { type GenerationResult, Sequence, type SequenceOptions, checkSequenceOptions } from './sequence.ts';

export interface GenerateOptions extends SequenceOptions {
  /** Row b samples with seed + b (default seed 0), so a row's samples never depend on the others. */
  seed?: number;
  /** Stops every row (finish reason 'abort') at the next step. */
  signal?: AbortSignal;
}

export function checkPrompts(prompts: readonly (readonly number[])[], vocabSize: number, maxSeqLen: number, where = 'generate'): void {
  if (prompts.length === 0 || prompts.some((p) => p.length === 0))
    throw new Error(`${where}: every prompt needs at least one token (e.g. BOS)`);
  for (const p of prompts)
    for (const id of p)
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize))
        throw new Error(`${where}: token id ${id} is outside the vocabulary (size ${vocabSize})`);
  const T = Math.max(...prompts.map((p) => p.length));
  if (T >= maxSeqLen) throw new Error(`${where}: a prompt of ${T} tokens leaves no room in maxSeqLen ${maxSeqLen}`);
}

/** Generates continuations of several prompts in one batch; returns ids, text, finish reason and
 *  (when asked) log probabilities per row. Prompts of different lengths are left-padded and the
 *  padding is masked out of attention (RoPE is relative, so a row shifted right by its padding
 *  attends exactly as it would alone, up to f32 rounding of the angles). */
export async function generateBatchResults(model: Llama, prompts: number[][], opts: GenerateOptions): Promise<GenerationResult[]> {
  const B = prompts.length;
  const { vocabSize: V, maxSeqLen } = model.config;
  checkPrompts(prompts, V, maxSeqLen);
  checkSequenceOptions(opts, V);
  const T = Math.max(...prompts.map((p) => p.length));
  const capacity = Math.min(maxSeqLen, T + opts.maxTokens);
  const pads = prompts.map((p) => T - p.length);
  const seqs = prompts.map((p, b) => new Sequence(p, { ...opts, seed: (opts.seed ?? 0) + b }, maxSeqLen, b));
  const cache = new KVCache(model.config, B, model.backend, capacity, model.dtype);
  // [B, capacity]: 0 on each row's left padding; later positions are excluded by causality.
  const keyMask = pads.some((n) => n > 0)
    ? fromArray(
        Int32Array.from({ length: B * capacity }, (_, i) => (i % capacity < pads[Math.floor(i / capacity)]! ? 0 : 1)),
        [B, capacity],
        { dtype: 'i32', backend: model.backend },
      ).keep()
    : undefined;
  let input = prompts.flatMap((p, b) => [...new Array<number>(pads[b]!).fill(0), ...p]);
  let len = T;
  try {
    while (cache.length + len <= capacity && !seqs.every((s) => s.done)) {
      if (opts.signal?.aborted) {
        for (const s of seqs) s.finish('abort');
        break;
      }
      const logits = await scopeAsync(async () =>
        noGrad(() =>
          model.forward(fromArray(Int32Array.from(input), [B, len], { dtype: 'i32', backend: model.backend }), {
            cache,
            lastOnly: true,
            ...(keyMask ? { keyMask } : {}),
          }),
        ).data(),
      );
      for (let b = 0; b < B; b++) seqs[b]!.step(logits, b * V, V);
      // with a signal, let its events run between steps (the CPU backend never yields otherwise)
      if (opts.signal) await new Promise<void>((r) => setImmediate(r));
      // finished rows keep stepping on their last token (the batch is fixed); nothing reads them
      input = seqs.map((s) => s.lastToken());
      len = 1;
    }
  } finally {
    cache.dispose();
    keyMask?.dispose();
  }
  for (const s of seqs) s.finish('length');
  return seqs.map((s) => s.result());
}

/** Generates continuations of several prompts in one batch; returns the new ids per stream. */
export async function generateBatch(model: Llama, prompts: number[][], opts: GenerateOptions): Promise<number[][]> {
  return (await generateBatchResults(model, prompts, opts)).map((r) => r.ids);
}

export async function generate(model: Llama, prompt: number[], opts: GenerateOptions): Promise<number[]> {
  return (await generateBatch(model, [prompt], opts))[0]!;
}
