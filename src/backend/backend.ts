// The contract between the engine and a backend. A backend is an allocator, a program runner
// and a launcher: it never knows what an op means. Each op file defines its kernels as
// `Kernel` objects with a readable CPU loop (the reference), a WGSL launch description and,
// optionally, a fast CPU launch (a SIMD128 WebAssembly export); a backend runs whichever half
// it understands, and the fast CPU backend falls back to the reference loop where a kernel has
// no fast half.
import type { DType, TypedArray } from '../core/dtype.ts';

/** Opaque device memory holding `length` elements of `dtype`. */
export interface Storage {
  readonly dtype: DType;
  readonly length: number;
}

/** A uniform value: plain numbers are u32; wrap f32 / i32 explicitly. */
export type Uniform = number | { f32: number } | { i32: number };

/** How to run a kernel on the GPU. Bindings: @binding(0) is a uniform struct holding `uniforms`
 *  in order (4 bytes each, so declare scalars or vec4s of 4-byte types); then one storage
 *  buffer per input (read) and per output (read_write), in that order, from @binding(1). */
export interface GpuLaunch {
  /** File name in shaders/ without `.wgsl`. */
  shader: string;
  entry: string;
  /** Pipeline-overridable constants (`override` in WGSL); part of the pipeline cache key. */
  constants?: Record<string, number>;
  uniforms: Uniform[];
  workgroups: readonly [number, number?, number?];
}

/** What the GPU can do, for kernels that pick a variant (subgroups, tile sizes). */
export interface GpuCaps {
  subgroups: boolean;
  /** Smallest subgroup size the adapter reports (0 when unknown). */
  subgroupMinSize: number;
  f16: boolean;
  maxWorkgroupStorage: number;
  maxInvocations: number;
}

/** How to run a kernel on the fast CPU backend (src/backend/fast): export `fn` of its wasm
 *  module is called on every thread of the pool with the byte addresses of the inputs, then of
 *  the outputs, then `args` (i32; an f32 is passed as its bits), then the per-thread scratch
 *  base, the thread index and the thread count; each thread computes its own share. */
export interface SimdLaunch {
  fn: string;
  args: Uniform[];
  /** Rough work (multiply-adds or elements): small launches run on the calling thread alone,
   *  where waking the pool would cost more than it saves. */
  work: number;
  /** Work from which this kernel is worth threading, where it differs from the backend's
   *  default (a gemm's wake-up cost outweighs half of a few million multiply-adds). */
  parallelFrom?: number;
  /** Per-thread scratch bytes the export uses; a backend with less runs the reference loop. */
  scratchBytes?: number;
}

export interface Kernel<P> {
  name: string;
  /** Reference implementation: plain loops; outputs may be read too (in-place kernels). */
  cpu(inputs: TypedArray[], outputs: TypedArray[], p: P): void;
  gpu?(p: P, caps: GpuCaps): GpuLaunch;
  /** f32/i32 only (f64 always takes `cpu`); null where this launch has no fast form. */
  simd?(p: P): SimdLaunch | null;
}

export interface MemoryStats {
  /** Live (allocated, not yet freed) storages. */
  buffers: number;
  bytes: number;
  /** Backend-specific: e.g. pooled buffers kept for reuse. */
  pooledBuffers?: number;
  pooledBytes?: number;
}

export interface Backend {
  readonly name: 'cpu' | 'webgpu' | 'fast';
  /** Human-readable device (the adapter's description for WebGPU). */
  readonly device: string;
  supports(dtype: DType): boolean;
  alloc(dtype: DType, length: number): Storage;
  free(s: Storage): void;
  upload(s: Storage, data: TypedArray): void;
  download(s: Storage): Promise<TypedArray>;
  /** Synchronous readback where the backend can (CPU); undefined otherwise. */
  readSync?(s: Storage): TypedArray;
  run<P>(k: Kernel<P>, inputs: Storage[], outputs: Storage[], p: P): void;
  /** Submit recorded work (a no-op on CPU). */
  flush(): void;
  /** Resolves when all submitted work is done. */
  sync(): Promise<void>;
  memory(): MemoryStats;
}

/** Grid of workgroups covering `n` threads of `wg` each. WebGPU caps a dimension at 65535, so
 *  large launches fold into y; shaders recover the linear id as gid.x + gid.y * (nwg.x * wg). */
export function linearGrid(n: number, wg: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= 65535) return [groups, 1, 1];
  const x = 65535;
  return [x, Math.ceil(groups / x), 1];
}
