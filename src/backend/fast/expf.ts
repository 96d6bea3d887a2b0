// exp in f32x4 for the fast kernels (Cephes' expf: x = n·ln2 + r with n = round(x·log2 e), a
// degree-6 polynomial for e^r, 2^n built in the exponent bits; relative error ≈ 1e-7 over the
// clamped range). A call from wasm to JavaScript's Math.exp costs more than the dot products
// around it, so the softmax loops use this instead.
import type { Fn } from './wasmEmit.ts';

export interface ExpTemps {
  x: number;
  n: number;
  r: number;
  p: number;
}

export function expTemps(f: Fn): ExpTemps {
  return { x: f.local('v128'), n: f.local('v128'), r: f.local('v128'), p: f.local('v128') };
}

const POLY = [1.98756915e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];

/** Replaces the f32x4 on the stack with e^x lane by lane (below −87.3 gives ~1e-38, not 0). */
export function exp4(f: Fn, t: ExpTemps): void {
  f.f32(-87.33654).vsplat().vmax().f32(88.72284).vsplat().vmin().set(t.x);
  f.get(t.x).f32(Math.LOG2E).vsplat().vmul().vnearest().set(t.n);
  f.get(t.x).get(t.n).f32(0.693359375).vsplat().vmul().vsub().get(t.n).f32(-2.12194440e-4).vsplat().vmul().vsub().set(t.r);
  f.f32(POLY[0]!).vsplat().set(t.p);
  for (const c of POLY.slice(1)) f.get(t.p).get(t.r).vmul().f32(c).vsplat().vadd().set(t.p);
  // p·r² + r + 1
  f.get(t.p).get(t.r).vmul().get(t.r).vmul().get(t.r).vadd().f32(1).vsplat().vadd();
  // · 2^n
  f.get(t.n).itruncSat4().i32(127).isplat().iadd4().i32(23).ishl4();
  f.vmul();
}

/** Replaces the f32 on the stack with e^x (lane 0 of exp4). */
export function expScalar(f: Fn, t: ExpTemps): void {
  f.vsplat();
  exp4(f, t);
  f.vlane(0);
}
