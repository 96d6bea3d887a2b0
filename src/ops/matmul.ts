// Batched matrix multiply with transpose flags, forward and backward side by side.
// C = op(A) · op(B), op(X) = Xᵀ when the flag is set, over matching leading batch dims; a 2-D
// operand broadcasts over the other's batch (activations [B, T, D] · weight [out, D]ᵀ).
// The kernel (shaders/matmul.wgsl) also sums over a batch in-kernel (`nred`), which is how the
// gradient of a broadcast 2-D operand is formed when its batch cannot be folded into rows.
import type { GpuCaps, GpuLaunch, Kernel, SimdLaunch } from '../backend/backend.ts';
import type { DType } from '../core/dtype.ts';
import { floatDType, launch } from '../core/launch.ts';
import { type Shape, fmt, numel, sameShape } from '../core/shape.ts';
import { type Tensor, noGrad, record } from '../core/tensor.ts';
import { transpose } from './shape.ts';

/** Which WGSL kernel to run: 'auto' picks the fastest one that fits the layout and the adapter;
 *  'plain' is auto's choice without subgroup kernels; the others force a variant (tests and
 *  benchmarks). The CPU backend ignores it. */
export type MatmulKernel = 'auto' | 'plain' | 'naive' | 'scalar';

export interface MatmulOptions {
  transA?: boolean;
  transB?: boolean;
  kernel?: MatmulKernel;
}

export interface MatmulP {
  /** Output batches (grid z); C slice z is at z·M·N. */
  batch: number;
  M: number;
  N: number;
  K: number;
  /** Slices summed into each output (1 for a plain product). */
  nred: number;
  transA: boolean;
  transB: boolean;
  /** Element offsets of A and B between output batches (0 broadcasts) and between reduced slices. */
  aZ: number;
  bZ: number;
  aR: number;
  bR: number;
  kernel: MatmulKernel;
}

// Output tile of one workgroup per kernel: [columns, rows].
const TILE = { naive: [8, 8], tile_v4: [64, 16], tile_v4_sg: [64, 16], tile_nt: [16, 4], tile_s: [16, 4] } as const;
type Entry = keyof typeof TILE;

/** Lanes of a tile_v4_sg workgroup, which must be one subgroup (subgroupBroadcast across it). */
const SG_LANES = 8;

/** Whether the adapter runs the subgroup kernels: subgroups of at least 8 lanes. */
function hasSubgroups(caps: GpuCaps | undefined): boolean {
  return !!caps && caps.subgroups && caps.subgroupMinSize >= SG_LANES;
}

/** The entry point `gpu()` runs for `p` on an adapter with `caps` (none: the CPU, or unknown;
 *  no subgroup kernels). Exported for tests and the benchmark. */
export function matmulEntry(p: MatmulP, caps?: GpuCaps): Entry {
  if (p.kernel === 'naive') return 'naive';
  if (p.kernel === 'auto' || p.kernel === 'plain') {
    // vec4 paths need the vec4 axis (and every batch offset) to be a multiple of 4
    if (!p.transB && p.N % 4 === 0) return p.kernel === 'auto' && hasSubgroups(caps) ? 'tile_v4_sg' : 'tile_v4';
    if (p.transB && !p.transA && p.K % 4 === 0) return 'tile_nt';
  }
  return 'tile_s';
}

export const matmulK: Kernel<MatmulP> = {
  name: 'matmul',
  // Reference: C[z](m, n) = Σ_r Σ_k op(A[z, r])(m, k) · op(B[z, r])(k, n), in JS numbers.
  cpu([a, b], [c], p) {
    const { batch, M, N, K, nred, transA, transB, aZ, bZ, aR, bR } = p;
    for (let z = 0; z < batch; z++) {
      for (let m = 0; m < M; m++) {
        for (let n = 0; n < N; n++) {
          let acc = 0;
          for (let r = 0; r < nred; r++) {
            const ao = z * aZ + r * aR;
            const bo = z * bZ + r * bR;
            for (let k = 0; k < K; k++) {
              const av = transA ? a![ao + k * M + m]! : a![ao + m * K + k]!;
              const bv = transB ? b![bo + n * K + k]! : b![bo + k * N + n]!;
              acc += av * bv;
            }
          }
          c![z * M * N + m * N + n] = acc;
        }
      }
    }
  },
  // Fast CPU: the SIMD128 gemm (src/backend/fast/gemm.ts) packs every layout into one form.
  simd(p: MatmulP): SimdLaunch | null {
    if (p.K === 0) return null; // an empty sum: the reference writes the zeros
    const [sam, sak] = p.transA ? [1, p.M] : [p.K, 1];
    const [sbk, sbn] = p.transB ? [1, p.K] : [p.N, 1];
    return {
      fn: 'gemm',
      args: [p.M, p.N, p.K, sam, sak, sbk, sbn, p.nred, p.aR, p.bR, p.batch, p.aZ, p.bZ],
      work: p.batch * p.M * p.N * p.K * p.nred,
      // measured on 2 cores: products of 2^20–2^21 multiply-adds ran slower on two threads than on one
      parallelFrom: 1 << 22,
    };
  },
  gpu(p: MatmulP, caps: GpuCaps): GpuLaunch {
    const entry = matmulEntry(p, caps);
    const [tx, ty] = TILE[entry];
    const workgroups = [Math.ceil(p.N / tx), Math.ceil(p.M / ty), p.batch] as const;
    if (workgroups.some((w) => w > 65535)) {
      throw new Error(
        `matmul: ${p.batch}×[${p.M}, ${p.K}]·[${p.K}, ${p.N}] needs a grid of ${workgroups.join('×')} workgroups, over the 65535 limit`,
      );
    }
    const constants: Record<string, number> = {};
    if (entry === 'tile_v4' || entry === 'tile_v4_sg' || entry === 'tile_s') constants.TRANS_A = p.transA ? 1 : 0;
    if (entry === 'tile_s') constants.TRANS_B = p.transB ? 1 : 0;
    // op(A)(m, k) and op(B)(k, n) strides, for the naive kernel
    const [sam, sak] = p.transA ? [1, p.M] : [p.K, 1];
    const [sbk, sbn] = p.transB ? [1, p.K] : [p.N, 1];
    return {
      shader: entry === 'tile_v4_sg' ? 'matmul_sg' : 'matmul',
      entry,
      constants,
      uniforms: [p.M, p.N, p.K, p.nred, p.aZ, p.bZ, p.aR, p.bR, sam, sak, sbk, sbn],
      workgroups: [...workgroups],
    };
  },
};

/** Rows of the product from which transposing B first (then tile_v4) beats tile_nt. */
export const PRETRANSPOSE_MIN_ROWS = 128;
/** The same for kept tensors (weights), whose transposed copy is cached and reused. */
export const matmulTuning = { keptMinRows: 16 };

function preTranspose(a: Tensor, b: Tensor, p: MatmulP): boolean {
  if (
    a.backend.name !== 'webgpu' ||
    (p.kernel !== 'auto' && p.kernel !== 'plain') ||
    !p.transB ||
    p.transA ||
    p.N % 4 !== 0 ||
    p.batch !== 1 ||
    b.rank !== 2
  )
    return false;
  return p.M >= PRETRANSPOSE_MIN_ROWS || (b.kept && p.M >= matmulTuning.keptMinRows);
}

/** [rows, cols] of op(X) for a stored matrix [..., r, c]. */
function opDims(x: Tensor, trans: boolean): [number, number] {
  const r = x.shape[x.rank - 2]!;
  const c = x.shape[x.rank - 1]!;
  return trans ? [c, r] : [r, c];
}

function describe(a: Tensor, b: Tensor, o: MatmulOptions): string {
  return `${fmt(a.shape)}${o.transA ? 'ᵀ' : ''} · ${fmt(b.shape)}${o.transB ? 'ᵀ' : ''}`;
}

interface Plan {
  p: MatmulP;
  outShape: number[];
  dtype: DType;
}

/** Checks the operands and works out the launch (shapes, strides, batch folding). */
function plan(a: Tensor, b: Tensor, opts: MatmulOptions): Plan {
  const transA = opts.transA ?? false;
  const transB = opts.transB ?? false;
  const kernel = opts.kernel ?? 'auto';
  const dtype = floatDType('matmul', a, b);
  if (a.rank < 2 || b.rank < 2) {
    throw new Error(`matmul: both operands need rank ≥ 2, got ${describe(a, b, opts)}`);
  }
  const [M, K] = opDims(a, transA);
  const [Kb, N] = opDims(b, transB);
  if (K !== Kb) throw new Error(`matmul: inner dimensions differ (${K} vs ${Kb}) in ${describe(a, b, opts)}`);
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  if (aBatch.length && bBatch.length && !sameShape(aBatch, bBatch)) {
    throw new Error(
      `matmul: batch dimensions ${fmt(aBatch)} and ${fmt(bBatch)} differ in ${describe(a, b, opts)} (only a 2-D operand broadcasts)`,
    );
  }
  const batchShape = aBatch.length ? aBatch : bBatch;
  const batch = numel(batchShape);
  const p: MatmulP = {
    batch,
    M,
    N,
    K,
    nred: 1,
    transA,
    transB,
    aZ: aBatch.length ? M * K : 0,
    bZ: bBatch.length ? K * N : 0,
    aR: 0,
    bR: 0,
    kernel,
  };
  if (batch > 1 && !bBatch.length && !transA) {
    // a's batch is just more rows of one big product: fewer, fuller tiles
    p.M = batch * M;
    p.batch = 1;
    p.aZ = 0;
  }
  return { p, outShape: [...batchShape, M, N], dtype };
}

/** The adapter's capabilities when the tensor lives on a GPU backend (undefined on the CPU). */
function capsOf(t: Tensor): GpuCaps | undefined {
  return (t.backend as { caps?: GpuCaps }).caps;
}

/** The path `matmul(a, b, opts)` takes: on the fast backend 'simd128 gemm'; else the WGSL entry point, or 'transpose + <entry>' when b is
 *  transposed into a (cached) scratch copy first. For benchmarks and tests. */
export function matmulPath(a: Tensor, b: Tensor, opts: MatmulOptions = {}): string {
  const { p } = plan(a, b, opts);
  if (a.backend.name === 'fast') return matmulK.simd!(p) ? 'simd128 gemm' : 'reference';
  const caps = capsOf(a);
  return preTranspose(a, b, p) ? `transpose + ${matmulEntry({ ...p, transB: false }, caps)}` : matmulEntry(p, caps);
}

/**
 * C = op(A) · op(B). a is [...batch, M, K] ([..., K, M] with transA), b is [...batch, K, N]
 * ([..., N, K] with transB); either may be 2-D and then broadcasts over the other's batch.
 * Returns [...batch, M, N].
 */
export function matmul(a: Tensor, b: Tensor, opts: MatmulOptions = {}): Tensor {
  const { p, outShape, dtype } = plan(a, b, opts);
  const { transA, transB, kernel } = p;
  let c: Tensor | undefined;
  if (preTranspose(a, b, p)) {
    // x·Wᵀ is the Llama layout, and its tile_nt kernel runs at ~10 GFLOP/s on lavapipe against
    // ~24 for tile_v4: materialising Wᵀ costs one copy of W and pays once M is large.
    // Cached per version of b: a weight is transposed once, then reused until it is written.
    const bt = b.derived('transpose', () => noGrad(() => transpose(b, -1, -2)));
    [c] = launch(matmulK, [a, bt], [{ shape: outShape, dtype }], { ...p, transB: false });
  } else [c] = launch(matmulK, [a, b], [{ shape: outShape, dtype }], p);
  record(c, [a, b], 'matmul', (g) => [
    a.requiresGrad ? gradA(a, b, g, transA, transB, kernel) : null,
    b.requiresGrad ? gradB(a, b, g, transA, transB, kernel) : null,
  ]);
  return c!;
}

/** dA: per slice dA = g · op(B)ᵀ, or op(B) · gᵀ when A is stored transposed. */
function gradA(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean, kernel: MatmulKernel): Tensor {
  if (a.rank === 2 && b.rank > 2) {
    // a was broadcast over b's batch: sum the per-slice gradients inside the kernel
    return transA ? reduceMatmul(b, g, transB, true, kernel, a.shape) : reduceMatmul(g, b, false, !transB, kernel, a.shape);
  }
  return transA ? matmul(b, g, { transA: transB, transB: true, kernel }) : matmul(g, b, { transB: !transB, kernel });
}

/** dB: per slice dB = op(A)ᵀ · g, or gᵀ · op(A) when B is stored transposed. */
function gradB(a: Tensor, b: Tensor, g: Tensor, transA: boolean, transB: boolean, kernel: MatmulKernel): Tensor {
  if (b.rank === 2 && a.rank > 2) {
    if (!transA) {
      // fold the batch into the rows that the product contracts over: one 2-D matmul
      const [M, K] = opDims(a, false);
      const rows = numel(a.shape.slice(0, -2)) * M;
      const a2 = a.reshape([rows, K]);
      const g2 = g.reshape([rows, g.shape[g.rank - 1]!]);
      const d = transB ? matmul(g2, a2, { transA: true, kernel }) : matmul(a2, g2, { transA: true, kernel });
      a2.dispose();
      g2.dispose();
      return d;
    }
    return transB ? reduceMatmul(g, a, true, true, kernel, b.shape) : reduceMatmul(a, g, false, false, kernel, b.shape);
  }
  return transB ? matmul(g, a, { transA: true, transB: transA, kernel }) : matmul(a, g, { transA: !transA, kernel });
}

/** Σ_s op(x_s) · op(y_s) over the shared batch of x and y (both batched): a 2-D result. */
function reduceMatmul(x: Tensor, y: Tensor, transA: boolean, transB: boolean, kernel: MatmulKernel, shape: Shape): Tensor {
  const [M, K] = opDims(x, transA);
  const [, N] = opDims(y, transB);
  const nred = numel(x.shape.slice(0, -2));
  const p: MatmulP = { batch: 1, M, N, K, nred, transA, transB, aZ: 0, bZ: 0, aR: M * K, bR: K * N, kernel };
  const [c] = launch(matmulK, [x, y], [{ shape, dtype: x.dtype }], p);
  return c!;
}
