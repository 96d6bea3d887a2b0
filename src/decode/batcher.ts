// Continuous batching: requests join the running batch at the next step and leave it when they
// finish, without restarting the others.
//
// All rows share one KV cache [B, C, Hkv, hd] and one write position P (C = maxSeqLen). Each row
// owns the slots [start, P); the key mask hides the rest. Invariant between steps: every row has
// fed all but the last token of its context, which the next decode step feeds at slot P.
//  - join: a new row prefills prompt[:-1] into a side cache so that it ends at slot P (its earlier
//    slots masked, as left padding is), and its rows are copied into the batch cache. RoPE is
//    relative, so the row sees exactly the relative positions it would see alone.
//  - leave: the kept rows are copied into a smaller cache.
//  - re-base: when a new prompt is longer than P, or P reaches C, every row re-prefills its context
//    from slot 0 (left-padded to the longest); this is the rare, expensive path.
import { type Tensor, fromArray, noGrad, scope, scopeAsync } from '../core/tensor.ts';
import { KVCache, type Llama } from '../nn/llama.ts';
import { slice, writeSlice } from '../ops/shape.ts';
import { checkPrompts } from './generate.ts';
import { type GenerationResult, Sequence, type SequenceOptions, checkSequenceOptions } from './sequence.ts';

export interface BatcherOptions {
  /** Rows decoded together at most; more requests wait in a queue (default 64). */
  maxBatch?: number;
}

export interface Submission {
  readonly sequence: Sequence;
  readonly result: Promise<GenerationResult>;
  /** Stops the sequence at the next step (finish reason 'abort'). */
  cancel(): void;
}

export interface BatcherStats {
  steps: number;
  joins: number;
  rebases: number;
  /** Σ rows over decode steps (÷ steps = mean batch). */
  rowSteps: number;
}

interface Row {
  seq: Sequence;
  /** First slot this row owns. */
  start: number;
  /** Row index in the current cache. */
  slot: number;
  resolve: (r: GenerationResult) => void;
  reject: (e: Error) => void;
}

export class ContinuousBatcher {
  readonly stats: BatcherStats = { steps: 0, joins: 0, rebases: 0, rowSteps: 0 };
  private queue: Row[] = [];
  private rows: Row[] = [];
  private cache: KVCache | undefined;
  private keyMask: Tensor | undefined;
  private loop: Promise<void> | undefined;
  private nextStream = 0;
  private readonly maxBatch: number;

  constructor(
    readonly model: Llama,
    opts: BatcherOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 64;
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1)) throw new Error(`batcher: maxBatch must be an integer >= 1, got ${opts.maxBatch}`);
  }

  /** Rows decoding now and requests waiting. */
  get load(): { running: number; waiting: number } {
    return { running: this.rows.length, waiting: this.queue.length };
  }

  /** Queues a prompt; throws at once on a bad prompt or bad options. */
  submit(prompt: number[], opts: SequenceOptions): Submission {
    const { vocabSize, maxSeqLen } = this.model.config;
    checkPrompts([prompt], vocabSize, maxSeqLen);
    checkSequenceOptions(opts, vocabSize);
    const seq = new Sequence([...prompt], opts, maxSeqLen, this.nextStream++);
    let row!: Row;
    const result = new Promise<GenerationResult>((resolve, reject) => {
      row = { seq, start: 0, slot: -1, resolve, reject };
    });
    if (seq.done) row.resolve(seq.result());
    else {
      this.queue.push(row);
      this.loop ??= this.run().finally(() => {
        this.loop = undefined;
      });
    }
    return { sequence: seq, result, cancel: () => seq.finish('abort') };
  }

  /** Resolves when nothing is running or waiting. */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  private async run(): Promise<void> {
    try {
      while (this.rows.length || this.queue.length) {
        this.settle();
        const keep = this.rows;
        const joiners = this.queue.filter((r) => !r.seq.done).slice(0, this.maxBatch - keep.length);
        for (const r of this.queue) if (r.seq.done) r.resolve(r.seq.result()); // cancelled while waiting
        this.queue = this.queue.filter((r) => !r.seq.done && !joiners.includes(r));
        if (joiners.length || (this.cache && this.cache.batch !== keep.length)) await this.relayout(keep, joiners);
        if (this.rows.length && this.cache!.length >= this.cache!.capacity) await this.relayout(this.rows, [], true);
        if (this.rows.length) await this.step();
        this.settle();
        // let the HTTP server and timers run between steps (the CPU backend never yields otherwise)
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const r of [...this.rows, ...this.queue]) r.reject(err);
      this.rows = [];
      this.queue = [];
    } finally {
      if (!this.rows.length) this.release();
    }
  }

  /** Resolves and removes finished rows (their cache rows go at the next relayout). */
  private settle(): void {
    for (const r of this.rows) if (r.seq.done) r.resolve(r.seq.result());
    this.rows = this.rows.filter((r) => !r.seq.done);
  }

  private release(): void {
    this.cache?.dispose();
    this.keyMask?.dispose();
    this.cache = undefined;
    this.keyMask = undefined;
  }

  /** One decode step: every row feeds its last token at slot P and samples its next one. */
  private async step(): Promise<void> {
    const B = this.rows.length;
    const V = this.model.config.vocabSize;
    const { model, cache, keyMask } = this;
    const input = Int32Array.from(this.rows, (r) => r.seq.lastToken());
    const logits = await scopeAsync(async () =>
      noGrad(() => model.forward(fromArray(input, [B, 1], { dtype: 'i32', backend: model.backend }), { cache: cache!, lastOnly: true, keyMask: keyMask! })).data(),
    );
    this.rows.forEach((r, b) => r.seq.step(logits, b * V, V));
    this.stats.steps++;
    this.stats.rowSteps += B;
  }

  /** Rebuilds the cache for `keep` (whose rows are in the current cache, in order) plus `joiners`. */
  private async relayout(keep: Row[], joiners: Row[], rebase = false): Promise<void> {
    const { model } = this;
    const C = model.config.maxSeqLen;
    const old = this.cache;
    const P = old?.length ?? 0;
    const longest = Math.max(0, ...joiners.map((r) => r.seq.prompt.length - 1));
    const all = [...keep, ...joiners];
    if (!all.length) {
      this.release();
      this.rows = [];
      return;
    }
    const fresh = new KVCache(model.config, all.length, model.backend, C, model.dtype);
    try {
      if (!rebase && old && keep.length && longest <= P && P < C) {
        this.stats.joins += joiners.length ? 1 : 0;
        // kept rows are copied whole (their masked slots included)
        noGrad(() =>
          scope(() => {
            for (let l = 0; l < model.config.nLayers; l++) {
              keep.forEach((r, i) => {
                const o = r.slot;
                if (o < 0 || o >= old.batch) throw new Error('batcher: a kept row is not in the cache');
                writeSlice(fresh.k[l]!, slice(old.k[l]!, 0, o, o + 1), 0, i);
                writeSlice(fresh.v[l]!, slice(old.v[l]!, 0, o, o + 1), 0, i);
              });
            }
          }),
        );
        for (const r of joiners) r.start = P - (r.seq.prompt.length - 1);
        if (joiners.length && longest > 0) {
          const side = new KVCache(model.config, joiners.length, model.backend, C, model.dtype);
          try {
            side.length = P - longest;
            await this.prefill(side, joiners, joiners.map((r) => r.seq.prompt.slice(0, -1)), longest);
            noGrad(() =>
              scope(() => {
                for (let l = 0; l < model.config.nLayers; l++) {
                  writeSlice(fresh.k[l]!, side.k[l]!, 0, keep.length);
                  writeSlice(fresh.v[l]!, side.v[l]!, 0, keep.length);
                }
              }),
            );
          } finally {
            side.dispose();
          }
        }
        fresh.length = P;
      } else {
        this.stats.rebases++;
        const feeds = all.map((r) => r.seq.context().slice(0, -1));
        const M = Math.max(0, ...feeds.map((f) => f.length));
        all.forEach((r, i) => (r.start = M - feeds[i]!.length));
        if (M > 0) await this.prefill(fresh, all, feeds, M);
        fresh.length = M;
      }
    } catch (e) {
      fresh.dispose();
      throw e;
    }
    this.release();
    this.cache = fresh;
    this.rows = all;
    all.forEach((r, i) => (r.slot = i));
    this.keyMask = this.maskFor(all, fresh.batch, C);
  }

  /** Feeds `feeds[i]` (right-aligned in `width` columns) to `cache` from its current length. */
  private async prefill(cache: KVCache, rows: Row[], feeds: number[][], width: number): Promise<void> {
    const { model } = this;
    const ids = feeds.flatMap((f) => [...new Array<number>(width - f.length).fill(0), ...f]);
    const mask = this.maskFor(rows, rows.length, cache.capacity);
    try {
      await scopeAsync(async () =>
        noGrad(() => model.forward(fromArray(Int32Array.from(ids), [rows.length, width], { dtype: 'i32', backend: model.backend }), { cache, lastOnly: true, keyMask: mask })).data(),
      );
    } finally {
      mask.dispose();
    }
  }

  /** [B, C] i32: 1 on the slots each row owns (from its start on). */
  private maskFor(rows: Row[], B: number, C: number): Tensor {
    const m = new Int32Array(B * C);
    rows.forEach((r, b) => m.fill(1, b * C + r.start, (b + 1) * C));
    return fromArray(m, [B, C], { dtype: 'i32', backend: this.model.backend }).keep();
  }
}
