// Rotary position embedding on x [B, H, T, hd] (heads before time, seqAxis 2, the default) or
// x [B, T, H, hd] (time-major, seqAxis 1: straight from a projection's reshape, no permute).
// Pair i of a head rotates by
// angle (offset + t) · freq_i with freq_i = 1 / theta^(2i/hd), the f32 formula of llama2.c (and
// of HF's inv_freq). The backward is the same rotation by −angle.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { expectRank, floatDType, launch } from '../core/launch.ts';
import { fmt } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

/** How RoPE pairs dimensions inside a head: llama2.c/Meta rotate adjacent pairs (2i, 2i+1);
 *  HF rotates the two halves (i, i + headDim/2). Weights converted between the two need the
 *  q/k row permutation in src/io. */
export type RopeLayout = 'interleaved' | 'half';

const WG = 256;
/** Frequencies travel in the uniforms (shaders/rope.wgsl: array<vec4<f32>, 64>). */
export const ROPE_MAX_HEAD_DIM = 512;

export interface RopeOptions {
  layout: RopeLayout;
  /** Base of the frequencies (default 10000). */
  theta?: number;
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
 *  `1.0f / powf(theta, head_dim / (float)head_size)` does. */
export function ropeFrequencies(theta: number, hd: number): Float32Array {
  const key = `${theta}:${hd}`;
  let f = freqCache.get(key);
  if (!f) {
    f = new Float32Array(hd / 2);
    const th = Math.fround(theta);
    for (let i = 0; i < hd / 2; i++) f[i] = Math.fround(1 / Math.fround(Math.pow(th, Math.fround((2 * i) / hd))));
    freqCache.set(key, f);
  }
  return f;
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
  const { layout, theta = 10000, offset = 0, seqAxis = 2 } = opts;
  if (seqAxis !== 1 && seqAxis !== 2) throw new Error(`rope: seqAxis must be 1 ([B, T, H, hd]) or 2 ([B, H, T, hd]), got ${String(seqAxis)}`);
  expectRank('rope', x, 4, seqAxis === 2 ? 'x ([batch, heads, time, headDim])' : 'x ([batch, time, heads, headDim])');
  const [, d1, d2, hd] = x.shape as [number, number, number, number];
  const [t, inner] = seqAxis === 2 ? [d2, 1] : [d1, d2];
  if (hd < 2 || hd % 2 !== 0) throw new Error(`rope: head dim must be even and ≥ 2, got ${hd} in x ${fmt(x.shape)}`);
  if (layout !== 'interleaved' && layout !== 'half') throw new Error(`rope: layout must be 'interleaved' or 'half', got ${String(layout)}`);
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`rope: theta must be a finite number > 0, got ${theta}`);
  if (!Number.isInteger(offset) || offset < 0 || offset + t > 0xffffffff) throw new Error(`rope: offset must be an integer ≥ 0, got ${offset}`);
  const p: RopeP = { nPairs: x.size / 2, t, inner, hd, offset, layout, sign: 1, freq: ropeFrequencies(theta, hd) };
  const [y] = launch(ropeK, [x], [{ shape: x.shape, dtype }], p);
  record(y!, [x], 'rope', (g) => launch(ropeK, [g], [{ shape: x.shape, dtype }], { ...p, sign: -1 }));
  return y!;
}
