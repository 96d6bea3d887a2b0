// The WebGPU backend: a size-class buffer pool (allocator), a pipeline cache keyed by shader,
// entry and constants (program), and a lazily batched command encoder (launcher). Work is
// recorded into one compute pass and submitted at a readback, at `flush()`, or when the
// batch is full; nothing waits on the GPU inside a step unless asked to.
import { expandShaderText } from './shaderText.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DType, TypedArray } from '../../core/dtype.ts';
import { BYTES, allocArray } from '../../core/dtype.ts';
import { projectRoot } from '../../util/dataRoot.ts';
import type { Backend, GpuCaps, GpuLaunch, Kernel, MemoryStats, Storage, Uniform } from '../backend.ts';
import { type AcquiredDevice, acquireDevice } from './device.ts';
import { gpuWait } from './poll.ts';

export class GpuStorage implements Storage {
  constructor(
    readonly dtype: DType,
    readonly length: number,
    readonly buffer: GPUBuffer,
    readonly classBytes: number,
  ) {}
}

const UNIFORM_SLOT = 256; // minUniformBufferOffsetAlignment
const UNIFORM_CAPACITY = 1024 * UNIFORM_SLOT; // dispatches per batch before a forced submit
const MIN_BYTES = 256;
const BIND_GROUP_CACHE = 16384;

/** Size classes: powers of two below 1 MiB, then steps of 1/8 of the power of two (≤ 12.5% waste). */
export function sizeClass(bytes: number): number {
  const b = Math.max(MIN_BYTES, bytes);
  const p = 2 ** Math.ceil(Math.log2(b));
  if (p <= 1 << 20) return p;
  const step = p / 16;
  return Math.ceil(b / step) * step;
}

/** The storage's bytes rounded up to whole 4-byte words (at least one): what copies and
 *  bindings cover, since both work in words. */
function wordBytes(g: GpuStorage): number {
  return Math.max(4, Math.ceil((g.length * BYTES[g.dtype]) / 4) * 4);
}

function gpuStorage(s: Storage): GpuStorage {
  if (!(s instanceof GpuStorage)) throw new Error('webgpu backend: got storage from another backend');
  return s;
}

export interface WebGPUOptions {
  /** Dispatches recorded before a forced submit (default: uniform capacity, 1024). */
  maxBatch?: number;
}

export class WebGPUBackend implements Backend {
  readonly name = 'webgpu' as const;
  readonly device: string;
  readonly gpu: GPUDevice;
  readonly caps: GpuCaps;
  private pool = new Map<number, GPUBuffer[]>();
  private quarantine: GpuStorage[] = []; // freed while recorded work may still use them
  private pipelines = new Map<string, GPUComputePipeline>();
  private pipelineIds = new Map<GPUComputePipeline, number>();
  // Bind groups keyed by pipeline, uniform offset and buffers (+ bound sizes). Loops replay the
  // same dispatch sequence on the same pooled buffers, so most lookups hit; createBindGroup
  // costs ~16 µs of a ~43 µs dispatch in Node.
  private bindGroups = new Map<string, GPUBindGroup>();
  private bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 0;
  private modules = new Map<string, GPUShaderModule>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private uniformBuf: GPUBuffer;
  private uniformData = new ArrayBuffer(UNIFORM_CAPACITY);
  private uniformUsed = 0;
  private dispatches = 0;
  /** Dispatches recorded before a submit. Small batches let the GPU start while JS is still
   *  recording a step (measured in bench/RESULTS.md); at most UNIFORM_CAPACITY / 256. */
  maxBatch: number;
  private errors: string[] = [];
  private lost: string | null = null;
  private live = 0;
  private liveBytes = 0;
  private pooledCount = 0;
  private pooledBytes = 0;
  // Profiling (timestamp queries): one compute pass per dispatch, GPU time per kernel name.
  private profiling: { set: GPUQuerySet; resolve: GPUBuffer; names: string[]; pending: Promise<void>[] } | null = null;
  readonly kernelTimes = new Map<string, { count: number; ns: number }>();
  /** Counters for tests and benchmarks. */
  readonly counters = { submits: 0, dispatches: 0, pipelines: 0, buffersCreated: 0, bindGroupsCreated: 0 };

  constructor(acq: AcquiredDevice, opts: WebGPUOptions = {}) {
    this.gpu = acq.device;
    this.device = acq.description;
    const lim = acq.adapter.limits;
    const info = acq.adapter.info as GPUAdapterInfo & { subgroupMinSize?: number };
    this.caps = {
      subgroups: acq.features.has('subgroups'),
      subgroupMinSize: info.subgroupMinSize ?? 0,
      f16: acq.features.has('shader-f16'),
      maxWorkgroupStorage: lim.maxComputeWorkgroupStorageSize,
      maxInvocations: lim.maxComputeInvocationsPerWorkgroup,
    };
    this.maxBatch = Math.min(opts.maxBatch ?? UNIFORM_CAPACITY / UNIFORM_SLOT, UNIFORM_CAPACITY / UNIFORM_SLOT);
    this.uniformBuf = this.gpu.createBuffer({ size: UNIFORM_CAPACITY, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
    this.gpu.addEventListener('uncapturederror', (ev) => {
      this.errors.push((ev as GPUUncapturedErrorEvent).error.message);
    });
    void this.gpu.lost.then((info) => {
      this.lost = `${info.reason}: ${info.message}`;
    });
  }

  supports(dtype: DType): boolean {
    return dtype === 'f32' || dtype === 'i32';
  }

  // ---- allocator --------------------------------------------------------------------------
  alloc(dtype: DType, length: number): Storage {
    this.checkAlive();
    if (!this.supports(dtype)) throw new Error(`webgpu backend does not support dtype ${dtype} (use f32, or the cpu backend for f64)`);
    const bytes = length * BYTES[dtype];
    const cls = sizeClass(bytes);
    let buffer = this.pool.get(cls)?.pop();
    if (buffer) {
      this.pooledCount--;
      this.pooledBytes -= cls;
    } else {
      if (cls > this.gpu.limits.maxStorageBufferBindingSize) {
        throw new Error(
          `webgpu: a tensor of ${length} ${dtype} (${bytes} bytes) exceeds maxStorageBufferBindingSize ${this.gpu.limits.maxStorageBufferBindingSize}`,
        );
      }
      buffer = this.gpu.createBuffer({ size: cls, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST });
      this.bufferIds.set(buffer, this.nextBufferId++);
      this.counters.buffersCreated++;
    }
    this.live++;
    this.liveBytes += cls;
    return new GpuStorage(dtype, length, buffer, cls);
  }

  free(s: Storage): void {
    const g = gpuStorage(s);
    this.live--;
    this.liveBytes -= g.classBytes;
    if (this.encoder) this.quarantine.push(g);
    else this.toPool(g);
  }

  private toPool(g: GpuStorage): void {
    let list = this.pool.get(g.classBytes);
    if (!list) this.pool.set(g.classBytes, (list = []));
    list.push(g.buffer);
    this.pooledCount++;
    this.pooledBytes += g.classBytes;
  }

  /** Destroys pooled buffers (memory goes back to the driver). */
  trim(): void {
    this.bindGroups.clear(); // they may reference the buffers destroyed below
    for (const list of this.pool.values()) for (const b of list) b.destroy();
    this.pool.clear();
    this.pooledCount = 0;
    this.pooledBytes = 0;
  }

  upload(s: Storage, data: TypedArray): void {
    const g = gpuStorage(s);
    if (data.length !== g.length) throw new Error(`webgpu upload: ${data.length} values into a storage of ${g.length}`);
    // queue.writeBuffer runs ahead of unsubmitted commands: submit them first so order holds.
    if (this.encoder) this.flush();
    this.gpu.queue.writeBuffer(g.buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  async download(s: Storage): Promise<TypedArray> {
    const g = gpuStorage(s);
    const bytes = g.length * BYTES[g.dtype];
    if (bytes === 0) return allocArray(g.dtype, 0);
    const size = wordBytes(g);
    const staging = this.gpu.createBuffer({ size, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    this.endPass();
    const enc = this.encoder ?? this.gpu.createCommandEncoder();
    enc.copyBufferToBuffer(g.buffer, 0, staging, 0, size);
    this.encoder = enc;
    this.flush();
    await gpuWait(staging.mapAsync(GPUMapMode.READ));
    const out = allocArray(g.dtype, g.length);
    new Uint8Array(out.buffer).set(new Uint8Array(staging.getMappedRange(0, size), 0, bytes));
    staging.unmap();
    staging.destroy();
    this.throwErrors();
    return out;
  }

  // ---- program cache ----------------------------------------------------------------------
  private module(shader: string): GPUShaderModule {
    let m = this.modules.get(shader);
    if (!m) {
      m = this.gpu.createShaderModule({ code: shaderSource(shader), label: shader });
      this.modules.set(shader, m);
    }
    return m;
  }

  private pipeline(l: GpuLaunch, kernel: string): GPUComputePipeline {
    const consts = l.constants ? Object.entries(l.constants).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
    const key = `${l.shader}:${l.entry}:${consts.map(([k, v]) => `${k}=${v}`).join(',')}`;
    let p = this.pipelines.get(key);
    if (!p) {
      this.gpu.pushErrorScope('validation');
      p = this.gpu.createComputePipeline({
        label: `${kernel}:${key}`,
        layout: 'auto',
        compute: { module: this.module(l.shader), entryPoint: l.entry, constants: Object.fromEntries(consts) },
      });
      void this.gpu.popErrorScope().then((e) => {
        if (e) this.errors.push(`pipeline ${key} (kernel ${kernel}): ${e.message}`);
      });
      this.pipelines.set(key, p);
      this.pipelineIds.set(p, this.pipelineIds.size);
      this.counters.pipelines++;
    }
    return p;
  }

  // ---- launcher ---------------------------------------------------------------------------
  run<P>(k: Kernel<P>, inputs: Storage[], outputs: Storage[], p: P): void {
    this.checkAlive();
    if (!k.gpu) throw new Error(`kernel ${k.name} has no WGSL implementation`);
    if (outputs.some((o) => o.length === 0)) return;
    const l = k.gpu(p, this.caps);
    const pipe = this.pipeline(l, k.name);
    const ubytes = Math.max(16, l.uniforms.length * 4);
    const slotBytes = Math.ceil(ubytes / UNIFORM_SLOT) * UNIFORM_SLOT;
    if (this.uniformUsed + slotBytes > UNIFORM_CAPACITY || this.dispatches >= this.maxBatch) this.flush();
    const off = this.uniformUsed;
    writeUniforms(new DataView(this.uniformData, off, slotBytes), l.uniforms);
    this.uniformUsed += slotBytes;
    const bind = this.bindGroup(pipe, off, ubytes, [...inputs, ...outputs].map(gpuStorage));
    const [x, y = 1, z = 1] = l.workgroups;
    if (this.profiling) {
      const prof = this.profiling;
      this.endPass();
      if (!this.encoder) this.encoder = this.gpu.createCommandEncoder();
      const q = prof.names.length * 2;
      prof.names.push(`${k.name}/${l.entry}`);
      const pass = this.encoder.beginComputePass({
        timestampWrites: { querySet: prof.set, beginningOfPassWriteIndex: q, endOfPassWriteIndex: q + 1 },
      });
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(x, y, z);
      pass.end();
    } else {
      const pass = this.beginPass();
      pass.setPipeline(pipe);
      pass.setBindGroup(0, bind);
      pass.dispatchWorkgroups(x, y, z);
    }
    this.dispatches++;
    this.counters.dispatches++;
  }

  private bindGroup(pipe: GPUComputePipeline, off: number, ubytes: number, bufs: GpuStorage[]): GPUBindGroup {
    const sizes = bufs.map(wordBytes);
    let key = `${this.pipelineIds.get(pipe)}:${off}:${ubytes}`;
    for (let i = 0; i < bufs.length; i++) key += `:${this.bufferIds.get(bufs[i]!.buffer)}/${sizes[i]}`;
    let bind = this.bindGroups.get(key);
    if (!bind) {
      const entries: GPUBindGroupEntry[] = [
        { binding: 0, resource: { buffer: this.uniformBuf, offset: off, size: Math.ceil(ubytes / 16) * 16 } },
      ];
      bufs.forEach((g, i) => entries.push({ binding: i + 1, resource: { buffer: g.buffer, offset: 0, size: sizes[i]! } }));
      bind = this.gpu.createBindGroup({ layout: pipe.getBindGroupLayout(0), entries });
      this.counters.bindGroupsCreated++;
      if (this.bindGroups.size >= BIND_GROUP_CACHE) this.bindGroups.clear(); // bounded; refills in one step
      this.bindGroups.set(key, bind);
    }
    return bind;
  }

  private beginPass(): GPUComputePassEncoder {
    if (!this.encoder) this.encoder = this.gpu.createCommandEncoder();
    if (!this.pass) this.pass = this.encoder.beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    if (this.profiling?.names.length) this.resolveProfile(this.encoder);
    if (this.uniformUsed > 0) this.gpu.queue.writeBuffer(this.uniformBuf, 0, this.uniformData, 0, this.uniformUsed);
    this.gpu.queue.submit([this.encoder.finish()]);
    this.counters.submits++;
    this.encoder = null;
    this.uniformUsed = 0;
    this.dispatches = 0;
    // Queue order now protects these buffers: later writes and dispatches come after.
    // Pushed in reverse so the LIFO pool hands them out in the order they were first taken: a
    // loop that replays the same ops then meets the same buffers and its bind groups hit the cache.
    for (let i = this.quarantine.length - 1; i >= 0; i--) this.toPool(this.quarantine[i]!);
    this.quarantine = [];
  }

  async sync(): Promise<void> {
    this.flush();
    await gpuWait(this.gpu.queue.onSubmittedWorkDone());
    if (this.profiling) await Promise.all(this.profiling.pending.splice(0));
    this.throwErrors();
  }

  /** Starts or stops per-kernel GPU timing (needs 'timestamp-query'). While on, every dispatch
   *  gets its own pass, which adds overhead: compare kernels with each other, not with runs
   *  made without profiling. Results accumulate in `kernelTimes` (read after `sync()`). */
  setProfiling(on: boolean): void {
    if (on === !!this.profiling) return;
    if (!on) {
      this.flush();
      this.profiling = null;
      return;
    }
    if (!this.gpu.features.has('timestamp-query')) throw new Error(`webgpu: adapter "${this.device}" has no timestamp-query feature`);
    const cap = this.maxBatch * 2;
    this.profiling = {
      set: this.gpu.createQuerySet({ type: 'timestamp', count: cap }),
      resolve: this.gpu.createBuffer({ size: cap * 8, usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC }),
      names: [],
      pending: [],
    };
  }

  private resolveProfile(enc: GPUCommandEncoder): void {
    const prof = this.profiling!;
    const names = prof.names.splice(0);
    const bytes = names.length * 16;
    enc.resolveQuerySet(prof.set, 0, names.length * 2, prof.resolve, 0);
    const read = this.gpu.createBuffer({ size: bytes, usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST });
    enc.copyBufferToBuffer(prof.resolve, 0, read, 0, bytes);
    // mapped after the submit that follows in flush()
    prof.pending.push(
      Promise.resolve().then(async () => {
        await gpuWait(read.mapAsync(GPUMapMode.READ));
        const t = new BigUint64Array(read.getMappedRange().slice(0));
        read.destroy();
        names.forEach((n, i) => {
          const e = this.kernelTimes.get(n) ?? { count: 0, ns: 0 };
          e.count++;
          e.ns += Number(t[2 * i + 1]! - t[2 * i]!);
          this.kernelTimes.set(n, e);
        });
      }),
    );
  }

  memory(): MemoryStats {
    return { buffers: this.live, bytes: this.liveBytes, pooledBuffers: this.pooledCount, pooledBytes: this.pooledBytes };
  }

  private checkAlive(): void {
    if (this.lost) throw new Error(`webgpu: the device was lost (${this.lost}); create a new backend`);
  }

  private throwErrors(): void {
    this.checkAlive();
    if (this.errors.length) {
      const msg = this.errors.join('\n');
      this.errors = [];
      throw new Error(`webgpu error: ${msg}`);
    }
  }
}

/** A shader's WGSL with `// #include other.wgsl` lines replaced by that file (WGSL has no
 *  includes; this lets a variant module, e.g. one that needs `enable subgroups;`, reuse a base
 *  file's structs, bindings and helpers, and every shader share common.wgsl). A file is inserted
 *  once per module (a second include of it is dropped, so a shader and its base can both include
 *  common.wgsl); an include cycle is an error. Then #for/#block/#use are expanded (shaderText.ts). */
export function shaderSource(shader: string, dir = join(projectRoot, 'shaders')): string {
  const included = new Set<string>();
  const expand = (name: string, stack: string[]): string => {
    if (stack.includes(name)) throw new Error(`webgpu: shader include cycle ${[...stack, name].map((n) => `${n}.wgsl`).join(' -> ')}`);
    if (included.has(name)) return `// (${name}.wgsl: already included)`;
    included.add(name);
    const path = join(dir, `${name}.wgsl`);
    let code: string;
    try {
      code = readFileSync(path, 'utf8');
    } catch {
      throw new Error(`webgpu: shader file not found: ${path}${stack.length ? ` (included from ${stack.at(-1)}.wgsl)` : ''}`);
    }
    return code.replace(/^\/\/ #include (\S+)\.wgsl[ \t]*$/gm, (_, inc: string) => expand(inc, [...stack, name]));
  };
  return expandShaderText(expand(shader, []), `${shader}.wgsl`);
}

function writeUniforms(dv: DataView, us: Uniform[]): void {
  us.forEach((u, i) => {
    if (typeof u === 'number') {
      if (!Number.isInteger(u) || u < 0 || u > 0xffffffff) throw new Error(`uniform #${i}: ${u} is not a u32 (wrap floats as {f32: x})`);
      dv.setUint32(i * 4, u, true);
    } else if ('f32' in u) dv.setFloat32(i * 4, u.f32, true);
    else dv.setInt32(i * 4, u.i32, true);
  });
}

let shared: Promise<WebGPUBackend> | null = null;

/** The process-wide WebGPU backend (one device; created on first use, checked by a dispatch). */
export function webgpu(opts?: WebGPUOptions): Promise<WebGPUBackend> {
  shared ??= (async () => {
    const b = new WebGPUBackend(await acquireDevice(), opts);
    await smokeTest(b);
    return b;
  })();
  return shared;
}

/** The backend's own test kernel (shaders/smoke.wgsl): y[i] = value + i. The backend owns it so
 *  that it imports nothing from the op layer above it. */
export const smokeK: Kernel<{ n: number; value: number }> = {
  name: 'smoke',
  cpu(_in, [y], { n, value }) {
    for (let i = 0; i < n; i++) y![i] = value + i;
  },
  gpu: ({ n, value }) => ({ shader: 'smoke', entry: 'smoke', uniforms: [n, { f32: value }], workgroups: [Math.ceil(n / 64)] }),
};

/** A non-null adapter does not mean it works: run one dispatch and read it back. */
async function smokeTest(b: WebGPUBackend): Promise<void> {
  const n = 4;
  const s = b.alloc('f32', n);
  b.run(smokeK, [], [s], { n, value: 2.5 });
  const got = await b.download(s);
  b.free(s);
  if (![...got].every((v, i) => v === 2.5 + i))
    throw new Error(`webgpu: adapter "${b.device}" ran a test kernel but returned ${[...got]}; refusing to use it`);
}
