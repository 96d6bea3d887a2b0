// The thread pool of the fast CPU backend: `worker_threads` that each instantiate the same
// wasm module over the same shared memory. A job is written into a control block in that
// memory; the main thread bumps a generation counter, wakes the workers with Atomics.notify,
// computes its own share (thread 0), then blocks in Atomics.wait until every worker has
// reported. Workers are unref'd: an idle pool never keeps the process alive.
import { Worker } from 'node:worker_threads';
import { importObject } from './module.ts';

// Control block, in i32 slots from its base.
const GEN = 0;
const FN = 1;
const NARGS = 2;
const NTH = 3;
const DONE = 4;
const ERR = 5;
const ARGS = 8;
export const MAX_ARGS = 56;
export const CONTROL_BYTES = (ARGS + MAX_ARGS) * 4;

/** The worker's whole program (CommonJS, run with eval: true so it needs no loader or file). */
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, control, tid, names, gen0 } = workerData;
const inst = new WebAssembly.Instance(module, { env: { memory, exp: Math.exp, log: Math.log } });
const fns = names.map((n) => inst.exports[n]);
const c = new Int32Array(memory.buffer, control, ${CONTROL_BYTES / 4});
let seen = gen0; // the generation at the pool's start: a job posted before we got here still runs
for (;;) {
  Atomics.wait(c, ${GEN}, seen);
  seen = Atomics.load(c, ${GEN});
  const f = c[${FN}];
  if (f < 0) break;
  const args = Array.from(c.subarray(${ARGS}, ${ARGS} + c[${NARGS}]));
  try {
    fns[f](...args, tid, c[${NTH}]);
  } catch (e) {
    Atomics.store(c, ${ERR}, 1);
  }
  Atomics.add(c, ${DONE}, 1);
  Atomics.notify(c, ${DONE});
}
`;

type WasmFn = (...args: number[]) => void;

export class ThreadPool {
  private readonly workers: Worker[] = [];
  private readonly c: Int32Array;
  private readonly fns: WasmFn[];
  private closed = false;

  /** `threads` counts the calling thread: threads − 1 workers are started. */
  constructor(module: WebAssembly.Module, readonly memory: WebAssembly.Memory, control: number, readonly names: string[], readonly threads: number) {
    const inst = new WebAssembly.Instance(module, importObject(memory));
    this.fns = names.map((n) => inst.exports[n] as WasmFn);
    this.c = new Int32Array(memory.buffer, control, CONTROL_BYTES / 4);
    const gen0 = Atomics.load(this.c, GEN);
    for (let tid = 1; tid < threads; tid++) {
      // execArgv []: the parent's flags (a loader, --input-type=module) must not change how
      // this CommonJS source runs
      const w = new Worker(WORKER_SOURCE, { eval: true, execArgv: [], workerData: { module, memory, control, tid, names, gen0 } });
      w.unref();
      this.workers.push(w);
    }
  }

  /** Runs export `fn` with `args` on `parallel ? every thread : this thread alone`. */
  call(fn: number, args: number[], parallel: boolean): void {
    if (this.closed) throw new Error('fast backend: the thread pool was closed');
    const f = this.fns[fn]!;
    if (!parallel || this.workers.length === 0) {
      f(...args, 0, 1);
      return;
    }
    if (args.length > MAX_ARGS) throw new Error(`fast backend: ${args.length} kernel arguments, at most ${MAX_ARGS}`);
    const c = this.c;
    c[FN] = fn;
    c[NARGS] = args.length;
    c[NTH] = this.threads;
    for (let i = 0; i < args.length; i++) c[ARGS + i] = args[i]!;
    Atomics.store(c, DONE, 0);
    Atomics.add(c, GEN, 1);
    Atomics.notify(c, GEN);
    let mine: unknown = null;
    try {
      f(...args, 0, this.threads);
    } catch (e) {
      mine = e;
    }
    const want = this.workers.length;
    for (let d = Atomics.load(c, DONE); d < want; d = Atomics.load(c, DONE)) Atomics.wait(c, DONE, d);
    if (mine) throw mine;
    if (Atomics.exchange(c, ERR, 0)) throw new Error(`fast backend: kernel ${this.names[fn]} failed on a worker thread`);
  }

  /** Stops the workers (they exit after their current job). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // ref'd while they exit: unref'd, a process with nothing else to do would end before the
    // 'exit' events and leave `await close()` unsettled (exit code 13 at top level)
    const exits = this.workers.map((w) => {
      w.ref();
      return new Promise<void>((res) => w.once('exit', () => res()));
    });
    this.c[FN] = -1;
    Atomics.add(this.c, GEN, 1);
    Atomics.notify(this.c, GEN);
    await Promise.all(exits);
  }
}
