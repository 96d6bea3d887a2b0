// Forward and backward over the micro-batches of one optimizer step. The loss is the mean over
// the labelled tokens of the WHOLE effective batch: each micro-batch contributes
// Σ token losses / N_total, so accumulating k micro-batches gives exactly the gradient of one
// batch holding all of them (not the mean of per-micro-batch means).
import type { Backend } from '../backend/backend.ts';
import { type Tensor, fromArray, noGrad, scopeAsync } from '../core/tensor.ts';
import type { HostBatch } from '../data/batch.ts';
import { IGNORE } from '../data/chat.ts';
import type { Llama } from '../nn/llama.ts';
import { mulScalar } from '../ops/elementwise.ts';
import { crossEntropyRows } from '../ops/loss.ts';
import { sumAll } from '../ops/reduce.ts';

export interface DeviceBatch {
  x: Tensor;
  y: Tensor;
  keyMask?: Tensor;
}

export function toDevice(b: HostBatch, backend: Backend): DeviceBatch {
  const x = fromArray(b.x, [b.B, b.T], { dtype: 'i32', backend });
  const y = fromArray(b.y, [b.B, b.T], { dtype: 'i32', backend });
  return b.keyMask ? { x, y, keyMask: fromArray(b.keyMask, [b.B, b.T], { dtype: 'f32', backend }) } : { x, y };
}

/** Σ over labelled targets of −log p(target) for one batch (a scalar tensor in the graph). */
export function tokenLossSum(model: Llama, b: DeviceBatch): Tensor {
  const logits = model.forward(b.x, b.keyMask ? { keyMask: b.keyMask } : {});
  return sumAll(crossEntropyRows(logits, b.y, { ignoreIndex: IGNORE }));
}

export interface Accumulated {
  /** Σ token losses over all micro-batches (f64 on the host). */
  lossSum: number;
  tokens: number;
  inputTokens: number;
}

/** Accumulates into the parameters' .grad the gradient of (Σ token losses) / N over all micro-batches. */
export async function accumulateGradients(model: Llama, batches: readonly HostBatch[]): Promise<Accumulated> {
  const tokens = batches.reduce((s, b) => s + b.tokens, 0);
  const inputTokens = batches.reduce((s, b) => s + b.inputTokens, 0);
  let lossSum = 0;
  if (tokens === 0) return { lossSum: 0, tokens, inputTokens }; // nothing labelled: no gradient
  for (const hb of batches) {
    if (hb.tokens === 0) continue;
    lossSum += await scopeAsync(async () => {
      const s = tokenLossSum(model, toDevice(hb, model.backend));
      mulScalar(s, 1 / tokens).backward();
      return s.item();
    });
  }
  return { lossSum, tokens, inputTokens };
}

/** Mean token loss over batches, without gradients (held-out evaluation). */
export async function evaluateLoss(model: Llama, batches: readonly HostBatch[]): Promise<{ loss: number; tokens: number }> {
  let sum = 0;
  let tokens = 0;
  for (const hb of batches) {
    if (hb.tokens === 0) continue;
    sum += await scopeAsync(() => noGrad(() => tokenLossSum(model, toDevice(hb, model.backend))).item());
    tokens += hb.tokens;
  }
  return { loss: tokens > 0 ? sum / tokens : NaN, tokens };
}
