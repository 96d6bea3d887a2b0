// Rotary position embedding on x [B, H, T, hd] (heads before time, seqAxis 2, the default) or
// x [B, T, H, hd] (time-major, seqAxis 1: straight from a projection's reshape, no permute).
// Pair i of a head rotates by
// angle (offset + t) · freq_i with freq_i = 1 / theta^(2i/hd), the f32 formula of llama2.c (and
// of HF's inv_freq), optionally rescaled as Llama 3.1's `llama3` or HF's `linear` RoPE scaling
// does. The backward is the same rotation by −angle.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { expectRank, floatDType, launch } from '../core/launch.ts';
import { fmt } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

/** How RoPE pairs dimensions inside a head: llama2.c/Meta rotate adjacent pairs (2i, 2i+1);
 *  HF rotates the two halves (i, i + headDim/2). Weights converted between the two need the
 *  q/k row permutation in src/io. */
export type RopeLayout = 'interleaved' | 'half';

/** RoPE frequency scaling, as HF's `rope_parameters` (transformers ≥ 5) or `rope_scaling` (4.x)
 *  describe it. `linear`: every frequency / factor (position interpolation). `llama3` (Llama 3.1):
 *  wavelengths longer than originalMaxPositions / lowFreqFactor are divided by factor, shorter than
 *  originalMaxPositions / highFreqFactor kept, and those between blended smoothly. */
export type RopeScaling =
  | { type: 'linear'; factor: number }
  | { type: 'llama3'; factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number };

/** Problems with a scaling, one message per bad field (empty when valid). */
export function ropeScalingErrors(s: RopeScaling): string[] {
  const errs: string[] = [];
  const pos = (k: string, v: number) => {
    if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) errs.push(`${k}=${v} must be a finite number > 0`);
  };
  if (s.type === 'linear') pos('factor', s.factor);
  else if (s.type === 'llama3') {
    pos('factor', s.factor);
    pos('lowFreqFactor', s.lowFreqFactor);
    pos('highFreqFactor', s.highFreqFactor);
    if (!Number.isInteger(s.originalMaxPositions) || s.originalMaxPositions <= 0)
      errs.push(`originalMaxPositions=${s.originalMaxPositions} must be a positive integer`);
    // the blend divides by (high − low), and wavelengths split into bands only when low < high
    if (!(s.lowFreqFactor < s.highFreqFactor)) errs.push(`lowFreqFactor=${s.lowFreqFactor} must be < highFreqFactor=${s.highFreqFactor}`);
  } else errs.push(`type=${JSON.stringify((s as { type: unknown }).type)} must be 'linear' or 'llama3'`);
  return errs;
}

const WG = 256;
/** Frequencies travel in the uniforms (shaders/rope.wgsl: array<vec4<f32>, 64>). */
export const ROPE_MAX_HEAD_DIM = 512;

export interface RopeOptions {
  layout: RopeLayout;
  /** Base of the frequencies (default 10000). */
  theta?: number;
  /** Frequency scaling (default none). */
  scaling?: RopeScaling;
  /** Position of row t is offset + t (default 0): the KV-cache position of the first row. */
  offset?: number;
  /** Axis of x that is time: 2 for [B, H, T, hd] (default), 1 for [B, T, H, hd]. */
  seqAxis?: 1 | 2;
}

interface RopeP {
  nPairs: number;
  t: number;
  /** Consecutive hd-rows that share a position: 1 for [B, H, T, hd], H for [B, T, H, hd]. */
  inner: number;
  hd: number;
  offset: number;
  layout: RopeLayout;
  sign: 1 | -1;
  freq: Float32Array;
}

const freqCache = new Map<string, Float32Array>();

/** freq_i = 1 / theta^(2i/hd), each step rounded to f32 as llama2.c's
 *  `1.0f / powf(theta, head_dim / (float)head_size)` and HF's f32 `inv_freq` do, then scaled.
 *  The scaling repeats transformers' f32 tensor arithmetic step by step (each op rounded to f32,
 *  `a / t` as t's reciprocal times a, as torch evaluates a scalar over a tensor), so the
 *  frequencies equal HF's `inv_freq` bit for bit wherever f32 pow rounds the same. */
export function ropeFrequencies(theta: number, hd: number, scaling?: RopeScaling): Float32Array {
  const key = `${theta}:${hd}:${scaling ? JSON.stringify(scaling) : ''}`;
  let f = freqCache.get(key);
  if (!f) {
    f = new Float32Array(hd / 2);
    const th = Math.fround(theta);
    for (let i = 0; i < hd / 2; i++) f[i] = Math.fround(1 / Math.fround(Math.pow(th, Math.fround((2 * i) / hd))));
    if (scaling) applyScaling(f, scaling);
    freqCache.set(key, f);
  }
  return f;
}

function applyScaling(f: Float32Array, s: RopeScaling): void {
  const r = Math.fround;
  const factor = r(s.factor);
  if (s.type === 'linear') {
    for (let i = 0; i < f.length; i++) f[i] = r(f[i]! / factor);
    return;
  }
  const old = s.originalMaxPositions;
  const lowWavelen = r(old / s.lowFreqFactor);
  const highWavelen = r(old / s.highFreqFactor);
  const twoPi = r(2 * Math.PI);
  const low = r(s.lowFreqFactor);
  const span = r(s.highFreqFactor - s.lowFreqFactor);
  for (let i = 0; i < f.length; i++) {
    const inv = f[i]!;
    const wavelen = r(r(1 / inv) * twoPi);
    if (wavelen > lowWavelen)
      f[i] = r(inv / factor); // long wavelengths: interpolate fully
    else if (wavelen >= highWavelen) {
      // between the bands: blend (1 − s)·inv/factor + s·inv, s = (old/wavelen − low) / (high − low)
      const smooth = r(r(r(r(1 / wavelen) * r(old)) - low) / span);
      f[i] = r(r(r(r(1 - smooth) * inv) / factor) + r(smooth * inv));
    } // short wavelengths stay as they are
  }
}

const ropeK: Kernel<RopeP> = {
  name: 'rope',
  cpu([x], [y], { nPairs, t, inner, hd, offset, layout, sign, freq }) {
    const half = hd / 2;
    const rows = nPairs / half;
    for (let row = 0; row < rows; row++) {
      const pos = offset + (Math.floor(row / inner) % t);
      for (let i = 0; i < half; i++) {
        const a = Math.fround(pos * freq[i]!); // the f32 product the kernel forms
        const c = Math.cos(a);
        const s = Math.sin(a) * sign;
        const i0 = layout === 'interleaved' ? row * hd + 2 * i : row * hd + i;
        const i1 = layout === 'interleaved' ? i0 + 1 : i0 + half;
        const x0 = x![i0]!;
        const x1 = x![i1]!;
        y![i0] = x0 * c - x1 * s;
        y![i1] = x0 * s + x1 * c;
      }
    }
  },
  gpu: (p) => {
    if (p.hd > ROPE_MAX_HEAD_DIM) throw new Error(`rope: head dim ${p.hd} exceeds the GPU limit ${ROPE_MAX_HEAD_DIM}`);
    const freqs = new Array<{ f32: number }>(ROPE_MAX_HEAD_DIM / 2).fill({ f32: 0 });
    p.freq.forEach((f, i) => (freqs[i] = { f32: f }));
    return {
      shader: 'rope',
      entry: 'rope',
      uniforms: [p.nPairs, p.t, p.hd, p.offset, p.layout === 'interleaved' ? 0 : 1, { f32: p.sign }, p.inner, 0, ...freqs],
      workgroups: linearGrid(p.nPairs, WG),
    };
  },
};

/** Rotates query/key heads x [B, H, T, hd] (or [B, T, H, hd] with seqAxis 1); time index t
 *  sits at position offset + t. */
export function rope(x: Tensor, opts: RopeOptions): Tensor {
  const dtype = floatDType('rope', x);
  const { layout, theta = 10000, offset = 0, seqAxis = 2, scaling } = opts;
  if (seqAxis !== 1 && seqAxis !== 2)
    throw new Error(`rope: seqAxis must be 1 ([B, T, H, hd]) or 2 ([B, H, T, hd]), got ${String(seqAxis)}`);
  expectRank('rope', x, 4, seqAxis === 2 ? 'x ([batch, heads, time, headDim])' : 'x ([batch, time, heads, headDim])');
  const [, d1, d2, hd] = x.shape as [number, number, number, number];
  const [t, inner] = seqAxis === 2 ? [d2, 1] : [d1, d2];
  if (hd < 2 || hd % 2 !== 0) throw new Error(`rope: head dim must be even and ≥ 2, got ${hd} in x ${fmt(x.shape)}`);
  if (layout !== 'interleaved' && layout !== 'half') throw new Error(`rope: layout must be 'interleaved' or 'half', got ${String(layout)}`);
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`rope: theta must be a finite number > 0, got ${theta}`);
  if (scaling) {
    const errs = ropeScalingErrors(scaling);
    if (errs.length) throw new Error(`rope: invalid scaling: ${errs.join('; ')}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + t > 0xffffffff)
    throw new Error(`rope: offset must be an integer ≥ 0, got ${offset}`);
  const p: RopeP = { nPairs: x.size / 2, t, inner, hd, offset, layout, sign: 1, freq: ropeFrequencies(theta, hd, scaling) };
  const [y] = launch(ropeK, [x], [{ shape: x.shape, dtype }], p);
  record(y!, [x], 'rope', (g) => launch(ropeK, [g], [{ shape: x.shape, dtype }], { ...p, sign: -1 }));
  return y!;
}
