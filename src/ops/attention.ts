// Causal scaled-dot-product attention with grouped-query heads (flash-attention style).
//
// q [B, Hq, Tq, D], k and v [B, Hkv, Tk, D] (layout 'bhtd', the default), or time-major
// q [B, Tq, Hq, D], k and v [B, Tk, Hkv, D] (layout 'bthd': what the projections produce, so a
// model needs no permutes and its KV cache takes contiguous per-batch writes). Both layouts run
// the same code: the kernels address rows by strides, row offset = b·sB + h·sH + t·sT.
// Hq is a multiple of Hkv: query head h uses kv head floor(h / (Hq / Hkv)). Query row i sits at
// absolute position causalOffset + i and attends the keys j <= causalOffset + i whose
// keyMask[b, j] is non-zero. A row that sees no key at all (everything padded, or a negative
// position) outputs 0 and passes no gradient.
//
// Forward saves the per-row logsumexp; backward recomputes the scores from q, k and it:
//   P_ij = exp(s_ij - lse_i), D_i = Σ_d dO_id O_id, dS_ij = P_ij (dO_i·v_j - D_i),
//   dq_i = scale Σ_j dS_ij k_j, dk_j = scale Σ_i dS_ij q_i, dv_j = Σ_i P_ij dO_i
// with dk/dv also summed over the query heads that share a kv head. dq and dk/dv are separate
// kernels (one per query row, one per key row) so nothing needs atomics.
import type { GpuCaps, GpuLaunch, Kernel, SimdLaunch, Uniform } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import type { TypedArray } from '../core/dtype.ts';
import { expectRank, floatDType, launch } from '../core/launch.ts';
import { fmt } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

/** Threads per workgroup in shaders/attention.wgsl (and keys per tile). */
const WG = 64;
/** Each thread keeps at most 4 output dims in registers: D <= 4 * WG on WebGPU. */
export const GPU_MAX_HEAD_DIM = 256;

export interface AttentionOptions {
  /** Multiplies q·k; default 1/sqrt(D). */
  scale?: number;
  /** Absolute position of query row 0; default Tk - Tq (prefill: 0; decode with a cache: Tk - 1). */
  causalOffset?: number;
  /** [B, Tk] f32 or i32; 0 marks a padding key that no query attends. */
  keyMask?: Tensor;
  /** 'bhtd' (default): [B, H, T, D]; 'bthd': [B, T, H, D] for q, k, v and the output. */
  layout?: AttentionLayout;
}

export type AttentionLayout = 'bhtd' | 'bthd';

interface AttnP {
  B: number;
  Hq: number;
  Hkv: number;
  Tq: number;
  Tk: number;
  D: number;
  scale: number;
  off: number;
  hasMask: boolean;
  maskFloat: boolean;
  /** Element strides of batch, head and time for q, o, dO, dq (qs) and k, v, dk, dv (ks). */
  qs: Strides;
  ks: Strides;
}

/** [sB, sH, sT]; the head dim is always contiguous. */
type Strides = [number, number, number];

/** Strides of a contiguous [B, H, T, D] ('bhtd') or [B, T, H, D] ('bthd') tensor. */
function stridesFor(layout: AttentionLayout, H: number, T: number, D: number): Strides {
  return layout === 'bhtd' ? [H * T * D, T * D, D] : [T * H * D, D, H * D];
}

const uniforms = (p: AttnP): Uniform[] => [
  p.B,
  p.Hq,
  p.Hkv,
  p.Tq,
  p.Tk,
  p.D,
  { f32: p.scale },
  { i32: p.off },
  p.hasMask ? 1 : 0,
  p.maskFloat ? 1 : 0,
  ...p.qs,
  ...p.ks,
];

/** Head dims up to this use the one-thread-per-row forward kernel. */
const ROW_MAX_D = 64;
/** Rows per subgroup block kernel workgroup (one lavapipe SIMD vector, one subgroup). */
const BLK = 8;
/** Head dims up to `rowMaxD` (≤ 64, the shader's private arrays) run the barrier-free kernels;
 *  larger ones the workgroup kernels. Set to 0 to force workgroups (tests do). Among the
 *  barrier-free ones, the subgroup block kernels (8 lanes = 8 consecutive rows of one head,
 *  the other side's rows loaded once per workgroup and broadcast) run when D % 4 == 0, the
 *  adapter has subgroups of ≥ 8 lanes, and the lanes' side has at least `blockMinT` rows (Tq
 *  for forward and dq, Tk for dk/dv); otherwise one thread per row (the scalar path; with
 *  decode's Tq = 1 a block would leave 7 of 8 lanes idle). Tests set it to 1 or Infinity to
 *  force either. */
export const attentionTuning = { rowMaxD: ROW_MAX_D, blockMinT: BLK };

/** Which barrier-free kernel runs for a side of n rows: 'blk' (subgroup blocks of 8 rows),
 *  'row', or null (the workgroup kernels). */
function rowKind(p: AttnP, n: number, caps: GpuCaps): 'blk' | 'row' | null {
  if (p.D > Math.min(attentionTuning.rowMaxD, ROW_MAX_D)) return null;
  // vec4 rows need D % 4 == 0 (row offsets are multiples of D); the broadcasts need 8 lanes.
  const blk = caps.subgroups && caps.subgroupMinSize >= BLK && p.D % 4 === 0 && n >= attentionTuning.blockMinT;
  return blk ? 'blk' : 'row';
}

/** Checks the head-dim limit; returns the pipeline constants (output dims per thread). */
function gpuConsts(p: AttnP): Record<string, number> {
  if (p.D > GPU_MAX_HEAD_DIM) throw new Error(`attention: head dim D=${p.D} exceeds the WebGPU kernel limit ${GPU_MAX_HEAD_DIM}`);
  return { DCH: Math.max(1, Math.ceil(p.D / WG)) };
}

/** The WGSL launch of attention kernel `name` over `heads` (batch, head) pairs of `n` rows each
 *  (queries for fwd/dq, keys for dkdv): small heads take the barrier-free kernels (the fast path
 *  on lavapipe; see the shader), the rest the workgroup kernel. */
function attnLaunch(name: 'fwd' | 'dq' | 'dkdv', p: AttnP, caps: GpuCaps, heads: number, n: number): GpuLaunch {
  const kind = rowKind(p, n, caps);
  const small = { constants: { ROW_D: p.D }, uniforms: uniforms(p) };
  if (kind === 'blk')
    return { shader: 'attention_sg', entry: `attn_${name}_sg`, ...small, workgroups: linearGrid(heads * Math.ceil(n / BLK), 1) };
  if (kind === 'row') return { shader: 'attention', entry: `attn_${name}_row`, ...small, workgroups: linearGrid(heads * n, WG) };
  return {
    shader: 'attention',
    entry: `attn_${name}`,
    constants: gpuConsts(p),
    uniforms: uniforms(p),
    workgroups: linearGrid(heads * n, 1),
  };
}

// ---- CPU reference helpers (plain loops; Float32Array or Float64Array alike) -------------------

/** Keys 0..n-1 are in row i's causal range. */
function causalKeys(p: AttnP, i: number): number {
  return Math.max(0, Math.min(p.Tk, p.off + i + 1));
}

function keyOn(p: AttnP, mask: TypedArray, b: number, j: number): boolean {
  return !p.hasMask || mask[b * p.Tk + j] !== 0;
}

/** Offset of row i of query head h (for q, o, dO) and of row j of kv head kvh (for k, v). */
const qOff = (p: AttnP, b: number, h: number, i: number) => b * p.qs[0] + h * p.qs[1] + i * p.qs[2];
const kOff = (p: AttnP, b: number, kvh: number, j: number) => b * p.ks[0] + kvh * p.ks[1] + j * p.ks[2];

function dot(a: TypedArray, ao: number, b: TypedArray, bo: number, n: number): number {
  let s = 0;
  for (let d = 0; d < n; d++) s += a[ao + d]! * b[bo + d]!;
  return s;
}

/** The visible scores of one query row: [key index, scaled score] pairs. */
function rowScores(p: AttnP, q: TypedArray, k: TypedArray, mask: TypedArray, b: number, h: number, i: number): [number, number][] {
  const kvh = Math.floor(h / (p.Hq / p.Hkv));
  const out: [number, number][] = [];
  for (let j = 0; j < causalKeys(p, i); j++) {
    if (keyOn(p, mask, b, j)) out.push([j, p.scale * dot(q, qOff(p, b, h, i), k, kOff(p, b, kvh, j), p.D)]);
  }
  return out;
}

// ---- kernels -----------------------------------------------------------------------------------

/** The fast CPU path (src/backend/fast/attention.ts): vectors along the head dim, so D % 4 == 0;
 *  the forward keeps a row's Tk scores in per-thread scratch. */
function attnSimd(fn: string, p: AttnP, rows: number): SimdLaunch | null {
  if (p.D % 4 !== 0 || p.D === 0) return null;
  // these head dims have unrolled variants (ATTENTION_HEAD_DIMS there)
  const unrolled = [8, 16, 32, 48, 64].includes(p.D) ? `_d${p.D}` : '';
  return { fn: fn + unrolled, args: uniforms(p), work: rows * p.Tk * p.D, scratchBytes: p.Tk * 4 };
}

/** Forward: o (q's shape and layout) and lse [B, Hq, Tq] (0 for rows that see no key). */
const fwdK: Kernel<AttnP> = {
  name: 'attention_fwd',
  cpu([q, k, v, mask], [o, lse], p) {
    for (let b = 0; b < p.B; b++) {
      for (let h = 0; h < p.Hq; h++) {
        const kvh = Math.floor(h / (p.Hq / p.Hkv));
        for (let i = 0; i < p.Tq; i++) {
          const row = (b * p.Hq + h) * p.Tq + i;
          const oo = qOff(p, b, h, i);
          for (let d = 0; d < p.D; d++) o![oo + d] = 0;
          const scores = rowScores(p, q!, k!, mask!, b, h, i);
          if (scores.length === 0) {
            lse![row] = 0;
            continue;
          }
          const m = Math.max(...scores.map(([, s]) => s));
          let sum = 0;
          for (const [j, s] of scores) {
            const e = Math.exp(s - m);
            sum += e;
            const vo = kOff(p, b, kvh, j);
            for (let d = 0; d < p.D; d++) o![oo + d] += e * v![vo + d]!;
          }
          for (let d = 0; d < p.D; d++) o![oo + d] /= sum;
          lse![row] = m + Math.log(sum);
        }
      }
    }
  },
  simd: (p) => attnSimd('attn_fwd', p, p.B * p.Hq * p.Tq),
  gpu: (p, caps) => attnLaunch('fwd', p, caps, p.B * p.Hq, p.Tq),
};

/** Backward prep: stats [B, Hq, Tq, 2] = (lse, D_i = Σ dO·O); packing both keeps the dk/dv
 *  kernel within the default limit of 8 storage buffers per stage. */
const prepK: Kernel<AttnP> = {
  name: 'attention_prep',
  cpu([o, dO, lse], [stats], p) {
    for (let b = 0; b < p.B; b++) {
      for (let h = 0; h < p.Hq; h++) {
        for (let i = 0; i < p.Tq; i++) {
          const r = (b * p.Hq + h) * p.Tq + i;
          const qo = qOff(p, b, h, i);
          stats![2 * r] = lse![r]!;
          stats![2 * r + 1] = dot(dO!, qo, o!, qo, p.D);
        }
      }
    }
  },
  gpu: (p) => ({ shader: 'attention', entry: 'attn_prep', uniforms: uniforms(p), workgroups: linearGrid(p.B * p.Hq * p.Tq, WG) }),
};

/** dS_ij for a visible (i, j) pair, from the saved stats. */
function dScore(
  p: AttnP,
  q: TypedArray,
  k: TypedArray,
  v: TypedArray,
  dO: TypedArray,
  stats: TypedArray,
  row: number,
  qo: number,
  ko: number,
): [number, number] {
  const prob = Math.exp(p.scale * dot(q, qo, k, ko, p.D) - stats[2 * row]!);
  return [prob, prob * (dot(dO, qo, v, ko, p.D) - stats[2 * row + 1]!)];
}

const dqK: Kernel<AttnP> = {
  name: 'attention_dq',
  cpu([q, k, v, mask, dO, stats], [dq], p) {
    for (let b = 0; b < p.B; b++) {
      for (let h = 0; h < p.Hq; h++) {
        const kvh = Math.floor(h / (p.Hq / p.Hkv));
        for (let i = 0; i < p.Tq; i++) {
          const row = (b * p.Hq + h) * p.Tq + i;
          const qo = qOff(p, b, h, i);
          for (let d = 0; d < p.D; d++) dq![qo + d] = 0;
          for (let j = 0; j < causalKeys(p, i); j++) {
            if (!keyOn(p, mask!, b, j)) continue;
            const ko = kOff(p, b, kvh, j);
            const [, ds] = dScore(p, q!, k!, v!, dO!, stats!, row, qo, ko);
            for (let d = 0; d < p.D; d++) dq![qo + d] += p.scale * ds * k![ko + d]!;
          }
        }
      }
    }
  },
  simd: (p) => attnSimd('attn_dq', p, p.B * p.Hq * p.Tq),
  gpu: (p, caps) => attnLaunch('dq', p, caps, p.B * p.Hq, p.Tq),
};

const dkdvK: Kernel<AttnP> = {
  name: 'attention_dkdv',
  cpu([q, k, v, mask, dO, stats], [dk, dv], p) {
    const G = p.Hq / p.Hkv;
    for (let b = 0; b < p.B; b++) {
      for (let kvh = 0; kvh < p.Hkv; kvh++) {
        for (let j = 0; j < p.Tk; j++) {
          const ko = kOff(p, b, kvh, j);
          for (let d = 0; d < p.D; d++) dk![ko + d] = dv![ko + d] = 0;
          if (!keyOn(p, mask!, b, j)) continue;
          for (let h = kvh * G; h < (kvh + 1) * G; h++) {
            for (let i = Math.max(0, j - p.off); i < p.Tq; i++) {
              const row = (b * p.Hq + h) * p.Tq + i;
              const qo = qOff(p, b, h, i);
              const [prob, ds] = dScore(p, q!, k!, v!, dO!, stats!, row, qo, ko);
              for (let d = 0; d < p.D; d++) {
                dv![ko + d] += prob * dO![qo + d]!;
                dk![ko + d] += p.scale * ds * q![qo + d]!;
              }
            }
          }
        }
      }
    }
  },
  simd: (p) => attnSimd('attn_dkdv', p, p.B * p.Hq * p.Tq),
  gpu: (p, caps) => attnLaunch('dkdv', p, caps, p.B * p.Hkv, p.Tk),
};

// ---- the op --------------------------------------------------------------------------------------

/** Causal grouped-query attention: returns [B, Hq, Tq, D] ('bhtd') or [B, Tq, Hq, D] ('bthd').
 *  See the file header for semantics. */
export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions = {}): Tensor {
  const layout = opts.layout ?? 'bhtd';
  if (layout !== 'bhtd' && layout !== 'bthd') throw new Error(`attention: layout must be 'bhtd' or 'bthd', got ${String(layout)}`);
  const bhtd = layout === 'bhtd';
  expectRank('attention', q, 4, bhtd ? 'q [B, Hq, Tq, D]' : 'q [B, Tq, Hq, D]');
  expectRank('attention', k, 4, bhtd ? 'k [B, Hkv, Tk, D]' : 'k [B, Tk, Hkv, D]');
  expectRank('attention', v, 4, bhtd ? 'v [B, Hkv, Tk, D]' : 'v [B, Tk, Hkv, D]');
  const dtype = floatDType('attention', q, k, v);
  const [B, q1, q2, D] = q.shape as [number, number, number, number];
  const [Bk, k1, k2, Dk] = k.shape as [number, number, number, number];
  const [Hq, Tq, Hkv, Tk] = bhtd ? [q1, q2, k1, k2] : [q2, q1, k2, k1];
  const shapes = `q ${fmt(q.shape)}, k ${fmt(k.shape)}, v ${fmt(v.shape)}`;
  if (k.shape.some((d, i) => d !== v.shape[i])) throw new Error(`attention: k and v must have the same shape (${shapes})`);
  if (Bk !== B) throw new Error(`attention: batch mismatch, q has B=${B} but k has B=${Bk} (${shapes})`);
  if (Dk !== D) throw new Error(`attention: head dim mismatch, q has D=${D} but k has D=${Dk} (${shapes})`);
  if (Hkv === 0 || Hq % Hkv !== 0) throw new Error(`attention: Hq=${Hq} query heads must be a multiple of Hkv=${Hkv} kv heads (${shapes})`);
  const off = opts.causalOffset ?? Tk - Tq;
  if (!Number.isInteger(off)) throw new Error(`attention: causalOffset must be an integer, got ${off}`);
  const scale = opts.scale ?? 1 / Math.sqrt(D);
  if (!Number.isFinite(scale)) throw new Error(`attention: scale must be finite, got ${scale} (D=${D})`);
  const mask = opts.keyMask;
  if (mask) {
    if (mask.dtype !== 'i32' && mask.dtype !== 'f32' && mask.dtype !== 'f64') {
      throw new Error(`attention: keyMask must be f32 or i32, got ${mask.dtype} ${fmt(mask.shape)}`);
    }
    if (mask.rank !== 2 || mask.shape[0] !== B || mask.shape[1] !== Tk) {
      throw new Error(`attention: keyMask must have shape [B, Tk] = ${fmt([B, Tk])}, got ${fmt(mask.shape)}`);
    }
  }
  const p: AttnP = {
    B,
    Hq,
    Hkv,
    Tq,
    Tk,
    D,
    scale,
    off,
    hasMask: !!mask,
    maskFloat: !!mask && mask.dtype !== 'i32',
    qs: stridesFor(layout, Hq, Tq, D),
    ks: stridesFor(layout, Hkv, Tk, D),
  };
  // Without a mask q fills the mask binding (read-only aliasing is legal, and has_mask = 0
  // keeps it unread): no extra buffer or upload per call.
  const maskT = mask ?? q;
  const [o, lse] = launch(
    fwdK,
    [q, k, v, maskT],
    [
      { shape: q.shape, dtype },
      { shape: [B, Hq, Tq], dtype },
    ],
    p,
  );
  record(o!, [q, k, v], 'attention', (g) => {
    const [stats] = launch(prepK, [o!, g, lse!], [{ shape: [B, Hq, Tq, 2], dtype }], p);
    const ins = [q, k, v, maskT, g, stats!];
    const dq = q.requiresGrad ? launch(dqK, ins, [{ shape: q.shape, dtype }], p)[0]! : null;
    let dk: Tensor | null = null;
    let dv: Tensor | null = null;
    if (k.requiresGrad || v.requiresGrad) {
      [dk, dv] = launch(
        dkdvK,
        ins,
        [
          { shape: k.shape, dtype },
          { shape: v.shape, dtype },
        ],
        p,
      ) as [Tensor, Tensor];
      // One kernel makes both; drop the one nobody asked for (runBackward would not free it).
      if (!k.requiresGrad) {
        dk.dispose();
        dk = null;
      }
      if (!v.requiresGrad) {
        dv.dispose();
        dv = null;
      }
    }
    // The tape runs each node once (runBackward drops it), so the saved lse can go now.
    stats!.dispose();
    lse!.dispose();
    return [dq, dk, dv];
  });
  // Inference keeps nothing for backward.
  if (!o!.node) lse!.dispose();
  return o!;
}
