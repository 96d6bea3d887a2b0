// Optimizer updates: a fused in-place AdamW step and a global gradient-norm clip. These write
// into existing tensors with launchInPlace and record nothing on the tape. The norm stays on
// the device as a [1] tensor so a training step never waits on the GPU to clip.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { floatDType, launch, launchInPlace } from '../core/launch.ts';
import { fmt, sameShape } from '../core/shape.ts';
import { type Tensor, empty } from '../core/tensor.ts';

const WG = 256;
/** Workgroups per tensor in the sum-of-squares pass (each writes one partial). */
const MAX_GROUPS = 64;

export interface AdamWOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** 1-based step count, for the bias corrections. */
  step: number;
}

interface AdamP {
  n: number;
  /** 1 - lr·wd (decoupled weight decay). */
  decay: number;
  beta1: number;
  beta2: number;
  /** lr / (1 - beta1^t) */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^t) */
  invBc2: number;
  eps: number;
}

const adamwK: Kernel<AdamP> = {
  name: 'adamw',
  cpu([g], [param, m, v], p) {
    for (let i = 0; i < p.n; i++) {
      const gi = g![i]!;
      const mi = p.beta1 * m![i]! + (1 - p.beta1) * gi;
      const vi = p.beta2 * v![i]! + (1 - p.beta2) * gi * gi;
      m![i] = mi;
      v![i] = vi;
      param![i] = param![i]! * p.decay - (p.stepSize * mi) / (Math.sqrt(vi) * p.invBc2 + p.eps);
    }
  },
  // fast CPU: src/backend/fast/rows.ts, f32 vectors of 4
  simd: (p) => ({
    fn: 'adamw',
    args: [p.n, ...[p.decay, p.beta1, 1 - p.beta1, p.beta2, 1 - p.beta2, p.stepSize, p.invBc2, p.eps].map((f32) => ({ f32 }))],
    work: p.n * 4,
  }),
  gpu: (p) => ({
    shader: 'optim',
    entry: 'adamw',
    uniforms: [p.n, { f32: p.decay }, { f32: p.beta1 }, { f32: p.beta2 }, { f32: p.stepSize }, { f32: p.invBc2 }, { f32: p.eps }],
    workgroups: linearGrid(p.n, WG),
  }),
};

type Many<T> = T | readonly T[];
const many = <T>(x: Many<T>): readonly T[] => (Array.isArray(x) ? (x as readonly T[]) : [x as T]);

/**
 * One AdamW step in place (PyTorch semantics): p ← p·(1 − lr·wd) − lr·m̂ / (√v̂ + eps) with
 * m̂ = m/(1 − β1^t), v̂ = v/(1 − β2^t) after updating m and v from g. params, m and v are
 * updated in place; a null gradient skips its parameter entirely (no decay), as PyTorch does.
 * Defaults: beta1 0.9, beta2 0.999, eps 1e-8, weightDecay 0.01.
 */
export function adamw(params: Many<Tensor>, grads: Many<Tensor | null>, m: Many<Tensor>, v: Many<Tensor>, opts: AdamWOptions): void {
  const ps = many(params);
  const gs = many(grads);
  const ms = many(m);
  const vs = many(v);
  if (gs.length !== ps.length || ms.length !== ps.length || vs.length !== ps.length) {
    throw new Error(`adamw: got ${ps.length} params, ${gs.length} grads, ${ms.length} m and ${vs.length} v; they must match`);
  }
  const { lr, step, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0.01 } = opts;
  if (!Number.isInteger(step) || step < 1) throw new Error(`adamw: step must be an integer >= 1, got ${step}`);
  for (const [name, x] of [
    ['lr', lr],
    ['eps', eps],
    ['weightDecay', weightDecay],
  ] as const) {
    if (!Number.isFinite(x) || x < 0) throw new Error(`adamw: ${name} must be a finite number >= 0, got ${x}`);
  }
  for (const [name, x] of [
    ['beta1', beta1],
    ['beta2', beta2],
  ] as const) {
    if (!(x >= 0 && x < 1)) throw new Error(`adamw: ${name} must be in [0, 1), got ${x}`);
  }
  // Host-side scalars in f64, so the f32 kernel only sees well-conditioned factors.
  const base = {
    decay: 1 - lr * weightDecay,
    beta1,
    beta2,
    stepSize: lr / (1 - beta1 ** step),
    invBc2: 1 / Math.sqrt(1 - beta2 ** step),
    eps,
  };
  ps.forEach((p, i) => {
    const g = gs[i]!;
    if (!g) return;
    const mi = ms[i]!;
    const vi = vs[i]!;
    floatDType('adamw', p, g, mi, vi);
    for (const [name, t] of [
      ['grad', g],
      ['m', mi],
      ['v', vi],
    ] as const) {
      if (!sameShape(t.shape, p.shape))
        throw new Error(`adamw: param #${i} has shape ${fmt(p.shape)} but its ${name} has shape ${fmt(t.shape)}`);
    }
    launchInPlace(adamwK, [g], [p, mi, vi], { ...base, n: p.size });
  });
}

// ---- global gradient norm ------------------------------------------------------------------------

interface SumSqP {
  n: number;
  groups: number;
  offset: number;
}
const sumsqK: Kernel<SumSqP> = {
  name: 'sumsq',
  cpu([x], [parts], p) {
    // One partial per workgroup, as on the GPU: workgroup w sums the chunks it strides over.
    for (let w = 0; w < p.groups; w++) {
      let acc = 0;
      for (let base = w * WG; base < p.n; base += p.groups * WG) {
        for (let i = base; i < Math.min(base + WG, p.n); i++) acc += x![i]! * x![i]!;
      }
      parts![p.offset + w] = acc;
    }
  },
  gpu: (p) => ({ shader: 'optim', entry: 'sumsq', uniforms: [p.n, p.groups, p.offset], workgroups: [p.groups] }),
};

interface NormP {
  count: number;
}
const normK: Kernel<NormP> = {
  name: 'norm_finish',
  cpu([parts], [out], p) {
    let acc = 0;
    for (let i = 0; i < p.count; i++) acc += parts![i]!;
    out![0] = Math.sqrt(acc);
  },
  gpu: (p) => ({ shader: 'optim', entry: 'norm_finish', uniforms: [p.count], workgroups: [1] }),
};

interface ClipP {
  n: number;
  maxNorm: number;
}
const clipK: Kernel<ClipP> = {
  name: 'clip_scale',
  cpu([norm], [g], p) {
    const coef = Math.min(1, p.maxNorm / (norm![0]! + 1e-6));
    for (let i = 0; i < p.n; i++) g![i] = g![i]! * coef;
  },
  gpu: (p) => ({ shader: 'optim', entry: 'clip_scale', uniforms: [p.n, { f32: p.maxNorm }], workgroups: linearGrid(p.n, WG) }),
};

function present(op: string, grads: Many<Tensor | null>): Tensor[] {
  const gs = many(grads).filter((g): g is Tensor => g !== null);
  if (gs.length === 0) throw new Error(`${op}: no gradients given`);
  floatDType(op, ...gs);
  return gs;
}

/** The global L2 norm √(Σ g²) over all tensors, as a [1] tensor on their backend (no sync). */
export function gradNorm(grads: Many<Tensor | null>): Tensor {
  const gs = present('gradNorm', grads);
  const groups = gs.map((g) => Math.min(MAX_GROUPS, Math.ceil(g.size / WG)));
  const total = groups.reduce((a, b) => a + b, 0);
  const parts = empty([total], gs[0]!.dtype, gs[0]!.backend);
  let offset = 0;
  gs.forEach((g, i) => {
    if (groups[i]! > 0) launchInPlace(sumsqK, [g], [parts], { n: g.size, groups: groups[i]!, offset });
    offset += groups[i]!;
  });
  const [norm] = launch(normK, [parts], [{ shape: [1], dtype: gs[0]!.dtype }], { count: total });
  parts.dispose();
  return norm!;
}

/**
 * Scales all gradients in place by min(1, maxNorm / (norm + 1e-6)) (torch.nn.utils.clip_grad_norm_)
 * and returns the pre-clip global norm as a [1] device tensor; `await norm.item()` when needed.
 */
export function clipGradNorm(grads: Many<Tensor | null>, maxNorm: number): Tensor {
  if (!(maxNorm > 0) || !Number.isFinite(maxNorm)) throw new Error(`clipGradNorm: maxNorm must be a finite number > 0, got ${maxNorm}`);
  const gs = present('clipGradNorm', grads);
  const norm = gradNorm(gs);
  for (const g of gs) launchInPlace(clipK, [norm], [g], { n: g.size, maxNorm });
  return norm;
}
