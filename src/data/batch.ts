// Batching: examples (ids with unshifted labels, −100 = no loss) become padded micro-batches of
// next-token inputs x = ids[0..n-2] and targets y = labels[1..n-1]. One epoch visits every example
// once, in an order fixed by (seed, epoch): shuffled, then (optionally) sorted by length inside
// buckets of `bucketBatches` batches so that batches hold similar lengths, and the batch order
// shuffled again. A plan is pure, so a resumed run rebuilds it from the seed and its position.
import { Rng } from '../core/random.ts';
import { IGNORE } from './chat.ts';

export interface Example {
  ids: number[];
  labels: number[];
}

export interface HostBatch {
  /** Rows and padded length. */
  B: number;
  T: number;
  /** Inputs [B, T] (padding: pad id). */
  x: Int32Array;
  /** Targets [B, T] (padding and masked positions: −100). */
  y: Int32Array;
  /** 1 = real token, 0 = padding [B, T]; null when no row is padded. */
  keyMask: Float32Array | null;
  /** Targets that carry loss (≠ −100). */
  tokens: number;
  /** Real (unpadded) input positions. */
  inputTokens: number;
}

export interface BatchPlanOptions {
  batchSize: number;
  seed: number;
  /** Sort by length within buckets of this many batches (0 or 1 = no bucketing). Default 50. */
  bucketBatches?: number;
  /** Keep the file order (no shuffling): evaluation. */
  shuffle?: boolean;
}

function shuffleInPlace<T>(a: T[], rng: Rng): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
}

/** Example indices of every batch of one epoch (the last batch may be smaller). */
export function planEpoch(lengths: readonly number[], epoch: number, opts: BatchPlanOptions): number[][] {
  const { batchSize, seed } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const order = lengths.map((_, i) => i);
  const shuffle = opts.shuffle ?? true;
  const rng = new Rng((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(epoch + 1, 0x85ebca6b)) >>> 0);
  if (shuffle) shuffleInPlace(order, rng);
  const bucket = (opts.bucketBatches ?? 50) * batchSize;
  if (shuffle && bucket > batchSize) {
    for (let s = 0; s < order.length; s += bucket) {
      const part = order.slice(s, s + bucket).sort((a, b) => lengths[a]! - lengths[b]! || a - b);
      order.splice(s, part.length, ...part);
    }
  }
  const batches: number[][] = [];
  for (let s = 0; s < order.length; s += batchSize) batches.push(order.slice(s, s + batchSize));
  if (shuffle && bucket > batchSize) shuffleInPlace(batches, rng);
  return batches;
}

/** Pads the examples into one micro-batch (right padding with `padId`, targets −100). */
export function collate(examples: readonly Example[], padId: number): HostBatch {
  if (examples.length === 0) throw new Error('collate: no examples');
  for (const e of examples) {
    if (e.ids.length < 2) throw new Error(`collate: an example needs at least 2 tokens, got ${e.ids.length}`);
    if (e.labels.length !== e.ids.length) throw new Error(`collate: ${e.ids.length} ids but ${e.labels.length} labels`);
  }
  const B = examples.length;
  const T = Math.max(...examples.map((e) => e.ids.length - 1));
  const x = new Int32Array(B * T).fill(padId);
  const y = new Int32Array(B * T).fill(IGNORE);
  let padded = false;
  const mask = new Float32Array(B * T);
  let tokens = 0;
  let inputTokens = 0;
  examples.forEach((e, b) => {
    const n = e.ids.length - 1;
    if (n < T) padded = true;
    inputTokens += n;
    for (let t = 0; t < n; t++) {
      x[b * T + t] = e.ids[t]!;
      const l = e.labels[t + 1]!;
      y[b * T + t] = l;
      mask[b * T + t] = 1;
      if (l !== IGNORE) tokens++;
    }
  });
  return { B, T, x, y, keyMask: padded ? mask : null, tokens, inputTokens };
}

export interface Position {
  epoch: number;
  /** Index of the next micro-batch in the epoch's plan. */
  batch: number;
}

/** An endless, resumable stream of micro-batches over epochs. */
export class BatchStream {
  private plan: number[][];
  private readonly lengths: number[];
  constructor(
    private readonly examples: readonly Example[],
    private readonly opts: BatchPlanOptions & { padId: number },
    private pos: Position = { epoch: 0, batch: 0 },
  ) {
    if (examples.length === 0) throw new Error('no training examples (every row was skipped or empty)');
    this.lengths = examples.map((e) => e.ids.length);
    this.plan = planEpoch(this.lengths, pos.epoch, opts);
    if (pos.batch > this.plan.length)
      throw new Error(`data position batch ${pos.batch} is past the ${this.plan.length} batches of an epoch`);
  }
  get batchesPerEpoch(): number {
    return this.plan.length;
  }
  position(): Position {
    return { ...this.pos };
  }
  next(): HostBatch {
    if (this.pos.batch >= this.plan.length) {
      this.pos = { epoch: this.pos.epoch + 1, batch: 0 };
      this.plan = planEpoch(this.lengths, this.pos.epoch, this.opts);
    }
    const idx = this.plan[this.pos.batch++]!;
    return collate(
      idx.map((i) => this.examples[i]!),
      this.opts.padId,
    );
  }
}
