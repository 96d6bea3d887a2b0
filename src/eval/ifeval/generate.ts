// Responses for IFEval from a heed model: greedy decoding of each prompt under the chat template,
// stopping at EOS, in length-sorted batches (little padding), resumable through `done`.
import { generateBatch } from '../../decode/generate.ts';
import type { Llama } from '../../nn/llama.ts';
import { chatText, type Tokenizer } from '../../tokenizer/tokenizer.ts';

export interface GenerateResponsesOptions {
  maxNewTokens: number;
  batchSize: number;
  /** Responses already made (by prompt text); those prompts are skipped. */
  done?: ReadonlyMap<string, string>;
  /** Called after each batch with the new responses, so a caller can save them. */
  onBatch?: (batch: { prompt: string; response: string }[], finished: number, total: number) => void | Promise<void>;
}

export async function generateResponses(model: Llama, tok: Tokenizer, prompts: string[], opts: GenerateResponsesOptions): Promise<Map<string, string>> {
  if (!(Number.isInteger(opts.batchSize) && opts.batchSize >= 1)) throw new Error(`batch size must be a positive integer, got ${opts.batchSize}`);
  if (!(Number.isInteger(opts.maxNewTokens) && opts.maxNewTokens >= 1)) throw new Error(`max new tokens must be a positive integer, got ${opts.maxNewTokens}`);
  const out = new Map(opts.done ?? []);
  const todo = [...new Set(prompts)]
    .filter((p) => !out.has(p))
    .map((p) => ({ prompt: p, ids: tok.encode(chatText(p), { bos: true }) }))
    .sort((a, b) => a.ids.length - b.ids.length);
  // A response may be cut short by the context (generateBatch stops there); a prompt must leave room for one token.
  const tooLong = todo.find((t) => t.ids.length >= model.config.maxSeqLen);
  if (tooLong) throw new Error(`a prompt of ${tooLong.ids.length} tokens leaves no room in the model's maxSeqLen ${model.config.maxSeqLen}: "${tooLong.prompt.slice(0, 60)}…"`);
  let finished = 0;
  for (let i = 0; i < todo.length; i += opts.batchSize) {
    const batch = todo.slice(i, i + opts.batchSize);
    const ids = await generateBatch(model, batch.map((b) => b.ids), { maxTokens: opts.maxNewTokens, temperature: 0, stopIds: [tok.eos] });
    const made = batch.map((b, j) => ({ prompt: b.prompt, response: tok.decode(ids[j]!, { skipSpecial: true }) }));
    for (const m of made) out.set(m.prompt, m.response);
    finished += batch.length;
    await opts.onBatch?.(made, finished, todo.length);
  }
  return out;
}
