// A heed model judging in process through the same weighted protocol as the remote judge: the
// judge prompt (system and user turns in the Tulu chat format) is run through Llama.forward,
// the next token's log-softmax gives the top log-probabilities, spelled as the tokenizer's pieces.
// Pairs are batched with left padding masked out of attention. A prompt longer than the model's
// context gets no verdict (NaN: dropped and counted), never a truncated one.
import { checkTokenizerFits } from '../../load/pretrained.ts';
import { fromArray, noGrad, scopeAsync } from '../../core/tensor.ts';
import type { Llama } from '../../nn/llama.ts';
import { chatPrompt } from '../../data/chat.ts';
import type { Tokenizer } from '../../tokenizer/tokenizer.ts';
import type { Judge, Pair, Verdict } from './judge.ts';
import { type ChatMessage, preferenceFromLogprobs, presentPair, type TopLogprob, unswap } from './weighted.ts';

export interface LocalJudgeOptions {
  name: string;
  batchSize?: number;
  seed?: number;
  topLogprobs?: number;
}

/** The prompt text a heed model sees: the Tulu chat format, `<|system|>\n…\n<|user|>\n…\n<|assistant|>\n`,
 *  the same text `heed serve` renders for these messages (data/chat.ts's chatPrompt), so
 *  `local:PATH` and `openai:` on `heed serve` with the same model see the same tokens. */
export function localJudgePrompt(messages: readonly ChatMessage[]): string {
  return chatPrompt(messages);
}

/** The k most probable tokens of a logit row as (piece, log-probability), most probable first. */
export function topLogprobsFromLogits(
  logits: ArrayLike<number>,
  offset: number,
  V: number,
  k: number,
  tok: Pick<Tokenizer, 'idToPiece'>,
): TopLogprob[] {
  let max = -Infinity;
  for (let v = 0; v < V; v++) max = Math.max(max, logits[offset + v]!);
  let sum = 0;
  for (let v = 0; v < V; v++) sum += Math.exp(logits[offset + v]! - max);
  const lse = max + Math.log(sum);
  const ids = Array.from({ length: V }, (_, v) => v);
  ids.sort((a, b) => logits[offset + b]! - logits[offset + a]! || a - b);
  return ids.slice(0, k).map((id) => ({ token: tok.idToPiece(id), logprob: logits[offset + id]! - lse }));
}

export function localJudge(model: Llama, tok: Tokenizer, opts: LocalJudgeOptions): Judge {
  const batchSize = opts.batchSize ?? 4;
  const seed = opts.seed ?? 0;
  const topK = opts.topLogprobs ?? 5;
  const V = model.config.vocabSize;
  checkTokenizerFits(tok, `local judge ${opts.name}'s tokenizer`, model.config, opts.name);
  return {
    name: `local:${opts.name}`,
    async judge(pairs: readonly Pair[], onProgress?: (done: number) => void): Promise<Verdict[]> {
      const out = new Array<Verdict>(pairs.length);
      const shown = pairs.map((p) => presentPair(p, seed));
      const prompts = shown.map((s) => tok.encode(localJudgePrompt(s.messages), { bos: true }));
      const fits: number[] = [];
      prompts.forEach((ids, i) => {
        if (ids.length > model.config.maxSeqLen)
          out[i] = {
            preference: NaN,
            raw: {
              swapped: shown[i]!.swapped,
              skipped: `prompt of ${ids.length} tokens exceeds the judge's maxSeqLen ${model.config.maxSeqLen}`,
            },
          };
        else fits.push(i);
      });
      let done = pairs.length - fits.length;
      onProgress?.(done);
      for (let s = 0; s < fits.length; s += batchSize) {
        const idx = fits.slice(s, s + batchSize);
        const T = Math.max(...idx.map((i) => prompts[i]!.length));
        const B = idx.length;
        const ids = new Int32Array(B * T);
        const mask = new Int32Array(B * T);
        idx.forEach((i, b) => {
          const p = prompts[i]!;
          const pad = T - p.length;
          ids.set(p, b * T + pad);
          mask.fill(1, b * T + pad, (b + 1) * T);
        });
        const logits = await scopeAsync(async () =>
          noGrad(() => {
            const x = fromArray(ids, [B, T], { dtype: 'i32', backend: model.backend });
            const keyMask = fromArray(mask, [B, T], { dtype: 'i32', backend: model.backend });
            return model.forward(x, { keyMask, lastOnly: true });
          }).data(),
        );
        idx.forEach((i, b) => {
          const top = topLogprobsFromLogits(logits, b * V, V, topK, tok);
          out[i] = {
            preference: unswap(preferenceFromLogprobs(top), shown[i]!.swapped),
            raw: { swapped: shown[i]!.swapped, top_logprobs: top },
          };
        });
        done += B;
        onProgress?.(done);
      }
      return out;
    },
  };
}
