// The fast CPU backend: tensors live in one shared WebAssembly.Memory (a size-class allocator
// over it), kernels with a `simd` half run as SIMD128 wasm on a pool of worker threads that see
// the same memory, and every other kernel runs its reference loop on typed-array views of that
// memory, so every op works here and the fast kernels are swapped in one at a time.
import { availableParallelism } from 'node:os';
import type { DType, TypedArray } from '../../core/dtype.ts';
import { BYTES } from '../../core/dtype.ts';
import type { Backend, Kernel, MemoryStats, Storage, Uniform } from '../backend.ts';
import { GEMM_SCRATCH, type GemmMutant } from './gemm.ts';
import { MAX_PAGES, fastModule } from './module.ts';
import { CONTROL_BYTES, ThreadPool } from './pool.ts';

const PAGE = 65536;
const ALIGN = 64;
/** Launches with less work than this run on the calling thread alone (waking the pool costs
 *  tens of microseconds). */
export const PARALLEL_MIN_WORK = 1 << 17;

export class FastStorage implements Storage {
  view: TypedArray | null = null;
  constructor(readonly dtype: DType, readonly length: number, readonly offset: number, readonly classBytes: number) {}
}

function fastStorage(s: Storage): FastStorage {
  if (!(s instanceof FastStorage)) throw new Error('fast backend: got storage from another backend');
  return s;
}

/** Size classes: 64-byte steps below 1 KiB, powers of two to 1 MiB, then 1/16 steps. */
function sizeClass(bytes: number): number {
  const b = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
  if (b <= 1024) return b;
  const p = 2 ** Math.ceil(Math.log2(b));
  if (p <= 1 << 20) return p;
  const step = p / 16;
  return Math.ceil(b / step) * step;
}

/** Threads for the pool: HEED_THREADS when set, else the cores Node reports. */
export function defaultThreads(): number {
  const env = process.env.HEED_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 1 || n > 256) throw new Error(`HEED_THREADS: expected a whole number of threads from 1 to 256, got "${env}"`);
    return n;
  }
  return Math.max(1, availableParallelism());
}

export interface FastOptions {
  /** Threads including the calling one (default: defaultThreads()). */
  threads?: number;
  /** Work from which a launch uses every thread (default PARALLEL_MIN_WORK; 0 in tests so
   *  small shapes take the threaded path too). */
  parallelMinWork?: number;
  /** A deliberately broken gemm, for the test that shows the properties catch it. */
  mutant?: GemmMutant;
  /** Where the heap must end (default: the 4 GiB WebAssembly limit); tests set less. */
  maxBytes?: number;
}

const bits = new DataView(new ArrayBuffer(4));
function toI32(u: Uniform): number {
  if (typeof u === 'number') return u | 0;
  if ('i32' in u) return u.i32 | 0;
  bits.setFloat32(0, u.f32, true);
  return bits.getInt32(0, true);
}

export class FastBackend implements Backend {
  readonly name = 'fast' as const;
  readonly device: string;
  readonly threads: number;
  private readonly parallelMinWork: number;
  private readonly mem: WebAssembly.Memory;
  private readonly pool: ThreadPool;
  private readonly fnIndex: Map<string, number>;
  private readonly scratch: number;
  private buf: SharedArrayBuffer;
  private top: number;
  private readonly freeLists = new Map<number, number[]>();
  private live = 0;
  private liveBytes = 0;
  private pooledCount = 0;
  private pooledBytes = 0;
  private readonly maxBytes: number;
  /** Launches by path, for tests and the profile. */
  readonly counters = { simd: 0, reference: 0 };

  constructor(opts: FastOptions = {}) {
    this.threads = opts.threads ?? defaultThreads();
    this.parallelMinWork = opts.parallelMinWork ?? PARALLEL_MIN_WORK;
    this.maxBytes = Math.min(opts.maxBytes ?? MAX_PAGES * PAGE, MAX_PAGES * PAGE);
    if (!Number.isInteger(this.threads) || this.threads < 1) throw new Error(`fast backend: threads must be a whole number ≥ 1, got ${this.threads}`);
    const { module, names } = fastModule(opts.mutant);
    this.fnIndex = new Map(names.map((n, i) => [n, i]));
    // layout: [control block | per-thread scratch | heap]
    this.scratch = Math.ceil(CONTROL_BYTES / ALIGN) * ALIGN;
    this.top = this.scratch + this.threads * GEMM_SCRATCH;
    this.mem = new WebAssembly.Memory({ initial: Math.ceil(this.top / PAGE) + 16, maximum: MAX_PAGES, shared: true });
    this.buf = this.mem.buffer as unknown as SharedArrayBuffer;
    this.pool = new ThreadPool(module, this.mem, 0, names, this.threads);
    this.device = `cpu, WebAssembly SIMD128 on ${this.threads} thread(s)`;
  }

  supports(_dtype: DType): boolean {
    return true; // f64 runs the reference loops (fast kernels are f32)
  }

  // A block comes from the free list of its own size class; else from a pooled block up to twice
  // its size; else from the end of the heap; else, at the limit, from any larger pooled block.
  // Without the last two steps, work whose shapes keep changing (scoring batches of other lengths,
  // a server's requests) strands freed blocks of sizes never asked for again until the heap is full.
  alloc(dtype: DType, length: number): Storage {
    const bytes = length * BYTES[dtype];
    const cls = sizeClass(bytes);
    const block = this.takePooled(cls, 2 * cls) ?? this.bump(cls) ?? this.takePooled(cls, Number.POSITIVE_INFINITY);
    if (block === undefined)
      throw new Error(
        `fast backend: a tensor of ${length} ${dtype} does not fit in the ${(this.maxBytes / 2 ** 30).toFixed(2)} GiB heap (${(this.liveBytes / 2 ** 30).toFixed(2)} GiB live, ${(this.pooledBytes / 2 ** 30).toFixed(2)} GiB pooled in smaller blocks)`,
      );
    this.live++;
    this.liveBytes += block.bytes;
    return new FastStorage(dtype, length, block.offset, block.bytes);
  }

  /** The smallest pooled block of min..max bytes, taken off its list. */
  private takePooled(min: number, max: number): { offset: number; bytes: number } | undefined {
    let best: number | undefined = this.freeLists.get(min)?.length ? min : undefined; // the common case, without a scan
    if (best === undefined)
      for (const [size, list] of this.freeLists) if (list.length > 0 && size >= min && size <= max && (best === undefined || size < best)) best = size;
    if (best === undefined) return undefined;
    this.pooledCount--;
    this.pooledBytes -= best;
    return { offset: this.freeLists.get(best)!.pop()!, bytes: best };
  }

  /** A new block at the end of the heap (growing the memory), or undefined past the limit. */
  private bump(bytes: number): { offset: number; bytes: number } | undefined {
    const offset = this.top;
    const end = offset + bytes;
    if (end > this.maxBytes) return undefined;
    if (end > this.buf.byteLength) {
      // grow by at least 1/8 of the memory so a growing model does not grow page by page
      const need = Math.ceil((end - this.buf.byteLength) / PAGE);
      const pages = Math.min(MAX_PAGES - this.buf.byteLength / PAGE, Math.max(need, Math.ceil(this.buf.byteLength / PAGE / 8)));
      this.mem.grow(pages);
      this.buf = this.mem.buffer as unknown as SharedArrayBuffer; // views on the old buffer are short
    }
    this.top = end;
    return { offset, bytes };
  }

  free(s: Storage): void {
    const f = fastStorage(s);
    this.live--;
    this.liveBytes -= f.classBytes;
    let list = this.freeLists.get(f.classBytes);
    if (!list) this.freeLists.set(f.classBytes, (list = []));
    list.push(f.offset);
    f.view = null;
    this.pooledCount++;
    this.pooledBytes += f.classBytes;
  }

  /** A typed array over the storage's bytes in the shared memory (remade after a grow). */
  view(s: Storage): TypedArray {
    const f = fastStorage(s);
    if (f.view && f.view.buffer === this.buf) return f.view;
    const v = f.dtype === 'f32' ? new Float32Array(this.buf, f.offset, f.length) : f.dtype === 'f64' ? new Float64Array(this.buf, f.offset, f.length) : new Int32Array(this.buf, f.offset, f.length);
    f.view = v;
    return v;
  }

  upload(s: Storage, data: TypedArray): void {
    if (data.length !== s.length) throw new Error(`fast upload: ${data.length} values into a storage of ${s.length}`);
    this.view(s).set(data);
  }
  async download(s: Storage): Promise<TypedArray> {
    return this.readSync(s);
  }
  readSync(s: Storage): TypedArray {
    return this.view(s).slice();
  }

  run<P>(k: Kernel<P>, inputs: Storage[], outputs: Storage[], p: P): void {
    const ins = inputs.map(fastStorage);
    const outs = outputs.map(fastStorage);
    let launch = k.simd && !ins.some((s) => s.dtype === 'f64') && !outs.some((s) => s.dtype === 'f64') ? k.simd(p) : null;
    if (launch && (launch.scratchBytes ?? 0) > GEMM_SCRATCH) launch = null;
    if (!launch) {
      this.counters.reference++;
      k.cpu(ins.map((s) => this.view(s)), outs.map((s) => this.view(s)), p);
      return;
    }
    const fn = this.fnIndex.get(launch.fn);
    if (fn === undefined) throw new Error(`fast backend: kernel ${k.name} names wasm export "${launch.fn}", which the module does not have`);
    this.counters.simd++;
    const args = [...ins.map((s) => s.offset), ...outs.map((s) => s.offset), ...launch.args.map(toI32), this.scratch];
    // parallelMinWork 0 (tests) threads every launch; otherwise a kernel may ask for a later start
    const from = this.parallelMinWork === 0 ? 0 : (launch.parallelFrom ?? this.parallelMinWork);
    this.pool.call(fn, args, launch.work >= from);
  }

  flush(): void {}
  async sync(): Promise<void> {}
  memory(): MemoryStats {
    return { buffers: this.live, bytes: this.liveBytes, pooledBuffers: this.pooledCount, pooledBytes: this.pooledBytes };
  }

  /** Stops the worker threads; the backend cannot run kernels afterwards. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

let shared: FastBackend | null = null;

/** The process-wide fast CPU backend (created on first use). */
export function fast(opts?: FastOptions): FastBackend {
  shared ??= new FastBackend(opts);
  return shared;
}
