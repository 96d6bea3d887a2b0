// Continuous batching: requests join the running batch at the next step and leave it when they
// finish, without restarting the others.
//
// All rows share one KV cache [B, C, Hkv, hd] and one write position P (C = maxSeqLen). Each row
// owns the slots [start, P) of its cache row; the key mask hides the rest. Invariant between
// steps: every row has fed all but the last token of its context, which the next decode step
// feeds at slot P.
//  - join: new rows prefill prompt[:-1] into a side cache so that they end at slot P (earlier
//    slots masked, as left padding is), and the written range is copied into free cache rows.
//    RoPE is relative, so a row sees exactly the relative positions it would see alone.
//  - leave: a finished row's cache row becomes free (fully masked) for the next joiner; the cache
//    is compacted to half full when under a quarter full, or grown (to twice the rows it then
//    holds, up to maxBatch) when joiners outnumber free rows.
//  - re-base: when a new prompt is longer than P, or P reaches C, every row re-prefills its context
//    from slot 0 (left-padded to the longest); this is the rare, expensive path.
// Batch caches start zeroed: masked keys are skipped by a select in the kernels, which would
// still turn never-written memory holding NaN bits into NaN (0 · NaN).
import { type Tensor, fromArray, noGrad, scope, scopeAsync } from '../core/tensor.ts';
import { KVCache, type Llama } from '../nn/llama.ts';
import { launchInPlace } from '../core/launch.ts';
import { fillK } from '../ops/elementwise.ts';
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
  /** Steps at which rows joined by a side prefill. */
  joins: number;
  /** Cache reallocations that kept positions (growing or compacting). */
  resizes: number;
  /** Full re-prefills of every row. */
  rebases: number;
  /** Σ live rows over decode steps (÷ steps = mean batch). */
  rowSteps: number;
}

interface Row {
  seq: Sequence;
  /** First slot this row owns. */
  start: number;
  resolve: (r: GenerationResult) => void;
  reject: (e: Error) => void;
}

export class ContinuousBatcher {
  readonly stats: BatcherStats = { steps: 0, joins: 0, resizes: 0, rebases: 0, rowSteps: 0 };
  private queue: Row[] = [];
  /** One entry per cache row; null = free. */
  private slots: (Row | null)[] = [];
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
    if (!(Number.isInteger(this.maxBatch) && this.maxBatch >= 1))
      throw new Error(`batcher: maxBatch must be an integer >= 1, got ${opts.maxBatch}`);
  }

  private get live(): Row[] {
    return this.slots.filter((r): r is Row => r !== null);
  }

  /** Rows decoding now and requests waiting. */
  get load(): { running: number; waiting: number } {
    return { running: this.live.length, waiting: this.queue.length };
  }

  /** Queues a prompt; throws at once on a bad prompt or bad options. */
  submit(prompt: number[], opts: SequenceOptions): Submission {
    const { vocabSize, maxSeqLen } = this.model.config;
    checkPrompts([prompt], vocabSize, maxSeqLen);
    checkSequenceOptions(opts, vocabSize);
    const seq = new Sequence([...prompt], opts, maxSeqLen, this.nextStream++);
    let row!: Row;
    const result = new Promise<GenerationResult>((resolve, reject) => {
      row = { seq, start: 0, resolve, reject };
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
      while (this.live.length || this.queue.length) {
        let changed = this.settle();
        for (const r of this.queue) if (r.seq.done) r.resolve(r.seq.result()); // cancelled while waiting
        this.queue = this.queue.filter((r) => !r.seq.done);
        const joiners = this.queue.splice(0, this.maxBatch - this.live.length);
        if (joiners.length) {
          await this.admit(joiners);
          changed = true;
        } else if (this.cache && this.live.length && this.live.length * 4 < this.slots.length) {
          // under a quarter full: shrink to half full, so arrivals and departures do not thrash
          await this.resize(2 * this.live.length);
          changed = true;
        }
        if (this.live.length && this.cache!.length >= this.cache!.capacity) {
          await this.rebase([]);
          changed = true;
        }
        if (!this.live.length) {
          this.release();
          continue;
        }
        if (changed) this.setMask();
        await this.step();
        // let the HTTP server and timers run between steps (the CPU backend never yields otherwise)
        await new Promise<void>((r) => setImmediate(r));
      }
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      for (const r of [...this.live, ...this.queue]) r.reject(err);
      this.slots = [];
      this.queue = [];
    } finally {
      this.release();
    }
  }

  /** Resolves finished rows and frees their cache rows; true when any left. */
  private settle(): boolean {
    let any = false;
    this.slots = this.slots.map((r) => {
      if (!r?.seq.done) return r;
      r.resolve(r.seq.result());
      any = true;
      return null;
    });
    return any;
  }

  private release(): void {
    this.cache?.dispose();
    this.keyMask?.dispose();
    this.cache = undefined;
    this.keyMask = undefined;
    if (!this.live.length) this.slots = [];
  }

  /** One decode step: every live row feeds its last token at slot P and samples its next one. */
  private async step(): Promise<void> {
    const B = this.slots.length;
    const V = this.model.config.vocabSize;
    const { model, cache, keyMask } = this;
    const input = Int32Array.from(this.slots, (r) => (r ? r.seq.lastToken() : 0));
    const logits = await scopeAsync(async () =>
      noGrad(() =>
        model.forward(fromArray(input, [B, 1], { dtype: 'i32', backend: model.backend }), {
          cache: cache!,
          lastOnly: true,
          keyMask: keyMask!,
        }),
      ).data(),
    );
    this.slots.forEach((r, b) => r?.seq.step(logits, b * V, V));
    this.stats.steps++;
    this.stats.rowSteps += this.live.length;
  }

  /** A zeroed cache of B rows. */
  private newCache(B: number): KVCache {
    const { model } = this;
    const c = new KVCache(model.config, B, model.backend, model.config.maxSeqLen, model.dtype);
    for (const t of [...c.k, ...c.v]) launchInPlace(fillK, [], [t], { n: t.size, value: 0, int: false });
    return c;
  }

  /** Adds joiners: into free rows (growing the cache when needed) by a side prefill, or by a re-base. */
  private async admit(joiners: Row[]): Promise<void> {
    const P = this.cache?.length ?? 0;
    const longest = Math.max(0, ...joiners.map((r) => r.seq.prompt.length - 1));
    if (!this.cache || !this.live.length || longest > P || P >= this.cache.capacity) return this.rebase(joiners);
    const free = () => this.slots.flatMap((r, i) => (r ? [] : [i]));
    // grow with headroom (twice the rows, up to maxBatch) so a stream of arrivals resizes rarely
    const need = this.live.length + joiners.length;
    if (free().length < joiners.length) await this.resize(Math.max(need, Math.min(this.maxBatch, 2 * need)));
    const targets = free().slice(0, joiners.length);
    for (const r of joiners) r.start = P - (r.seq.prompt.length - 1);
    if (longest > 0) {
      const { model } = this;
      // positions [0, P) suffice: only [P - longest, P) is written and copied
      const side = new KVCache(model.config, joiners.length, model.backend, P, model.dtype);
      try {
        side.length = P - longest;
        await this.prefill(
          side,
          joiners,
          joiners.map((r) => r.seq.prompt.slice(0, -1)),
          longest,
        );
        // only the written range [P - longest, P) of each side row moves into its target row:
        // gather that range of the whole batch, overwrite the targets' rows, write it back
        noGrad(() =>
          scope(() => {
            for (let l = 0; l < model.config.nLayers; l++) {
              for (const [dst, src] of [
                [this.cache!.k[l]!, side.k[l]!],
                [this.cache!.v[l]!, side.v[l]!],
              ] as const) {
                const band = slice(dst, 1, P - longest, P);
                const written = slice(src, 1, P - longest, P);
                for (const [from, to, n] of runs(targets.map((t, j) => [j, t] as const)))
                  writeSlice(band, n === joiners.length ? written : slice(written, 0, from, from + n), 0, to);
                writeSlice(dst, band, 1, P - longest);
              }
            }
          }),
        );
      } finally {
        side.dispose();
      }
    }
    targets.forEach((t, j) => (this.slots[t] = joiners[j]!));
    this.stats.joins++;
  }

  /** Reallocates the cache with B rows: live rows packed first (positions kept), the rest free. */
  private async resize(B: number): Promise<void> {
    const old = this.cache!;
    const { model } = this;
    const fresh = this.newCache(B);
    const live = this.live;
    noGrad(() =>
      scope(() => {
        for (let l = 0; l < model.config.nLayers; l++) {
          for (const [from, to, n] of runs(live.map((r, i) => [this.slots.indexOf(r), i] as const))) {
            writeSlice(fresh.k[l]!, n === old.batch ? old.k[l]! : slice(old.k[l]!, 0, from, from + n), 0, to);
            writeSlice(fresh.v[l]!, n === old.batch ? old.v[l]! : slice(old.v[l]!, 0, from, from + n), 0, to);
          }
        }
      }),
    );
    fresh.length = old.length;
    old.dispose();
    this.cache = fresh;
    this.slots = [...live, ...new Array<Row | null>(B - live.length).fill(null)];
    this.stats.resizes++;
  }

  /** Every live row and the joiners re-prefill their contexts but the last token, from slot 0. */
  private async rebase(joiners: Row[]): Promise<void> {
    const all = [...this.live, ...joiners];
    const feeds = all.map((r) => r.seq.context().slice(0, -1));
    const M = Math.max(0, ...feeds.map((f) => f.length));
    all.forEach((r, i) => (r.start = M - feeds[i]!.length));
    const fresh = this.newCache(all.length);
    try {
      if (M > 0) await this.prefill(fresh, all, feeds, M);
    } catch (e) {
      fresh.dispose();
      throw e;
    }
    fresh.length = M;
    this.cache?.dispose();
    this.cache = fresh;
    this.slots = all;
    this.stats.rebases++;
  }

  /** Feeds `feeds[i]` (right-aligned in `width` columns) to `cache` from its current length. */
  private async prefill(cache: KVCache, rows: Row[], feeds: number[][], width: number): Promise<void> {
    const { model } = this;
    const ids = feeds.flatMap((f) => [...new Array<number>(width - f.length).fill(0), ...f]);
    const mask = this.maskFor(rows, cache.capacity);
    try {
      await scopeAsync(async () =>
        noGrad(() =>
          model.forward(fromArray(Int32Array.from(ids), [rows.length, width], { dtype: 'i32', backend: model.backend }), {
            cache,
            lastOnly: true,
            keyMask: mask,
          }),
        ).data(),
      );
    } finally {
      mask.dispose();
    }
  }

  private setMask(): void {
    this.keyMask?.dispose();
    this.keyMask = this.maskFor(this.slots, this.cache!.capacity);
  }

  /** [rows, C] i32: 1 on the slots each row owns (from its start on); 0 for a free row. */
  private maskFor(rows: readonly (Row | null)[], C: number): Tensor {
    const m = new Int32Array(rows.length * C);
    rows.forEach((r, b) => r && m.fill(1, b * C + r.start, (b + 1) * C));
    return fromArray(m, [rows.length, C], { dtype: 'i32', backend: this.model.backend }).keep();
  }
}

/** [from, to] row moves (ascending) merged into runs [from, to, count] of consecutive rows. */
export function runs(moves: readonly (readonly [number, number])[]): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const [f, t] of moves) {
    const last = out[out.length - 1];
    if (last && f === last[0] + last[2] && t === last[1] + last[2]) last[2]++;
    else out.push([f, t, 1]);
  }
  return out;
}
