// Finite-difference gradient checks in f64 on the CPU backend, and CPU-vs-WebGPU comparisons.
import fc from 'fast-check';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import type { TypedArray } from '../../src/core/dtype.ts';
import { type Tensor, fromArray, noGrad, scope } from '../../src/core/tensor.ts';

export interface Input {
  shape: number[];
  data: number[];
  /** Integer inputs (ids, targets) are passed as i32 constants and not differentiated. */
  int?: boolean;
}

/** Weighted sum Σ out·w as a host number: the scalar whose gradient we check. */
function weighted(out: TypedArray, w: number[]): number {
  let s = 0;
  for (let i = 0; i < out.length; i++) s += out[i]! * w[i]!;
  return s;
}

function weightsFor(n: number): number[] {
  // fixed, irregular weights so every output element matters differently
  return Array.from({ length: n }, (_, i) => Math.sin(1.7 * i + 0.3) + 0.1);
}

/** Max norm-wise relative error between the analytic gradient (backward with gradient w) and
 *  central differences of Σ f(x)·w, over every float input. Everything in f64 on the CPU. */
export function gradError(f: (xs: Tensor[]) => Tensor, inputs: Input[], eps = 1e-6): number {
  return scope(() => {
    const make = (data: number[][]) =>
      inputs.map((inp, i) => fromArray(data[i]!, inp.shape, { dtype: inp.int ? 'i32' : 'f64', backend: cpu, requiresGrad: !inp.int }));
    const base = inputs.map((i) => [...i.data]);
    const xs = make(base);
    const out = f(xs);
    const w = weightsFor(out.size);
    out.backward(fromArray(w, out.shape, { dtype: 'f64', backend: cpu }));
    const evalAt = (data: number[][]) => noGrad(() => scope(() => weighted(f(make(data)).dataSync(), w)));
    let worst = 0;
    inputs.forEach((inp, k) => {
      if (inp.int) return;
      const analytic = xs[k]!.grad ? [...xs[k]!.grad!.dataSync()] : new Array<number>(inp.data.length).fill(0);
      const numeric = inp.data.map((_, j) => {
        const plus = base.map((d) => [...d]);
        const minus = base.map((d) => [...d]);
        plus[k]![j]! += eps;
        minus[k]![j]! -= eps;
        return (evalAt(plus) - evalAt(minus)) / (2 * eps);
      });
      let diff = 0;
      let scale = 1e-8;
      for (let j = 0; j < numeric.length; j++) {
        diff = Math.max(diff, Math.abs(analytic[j]! - numeric[j]!));
        scale = Math.max(scale, Math.abs(analytic[j]!), Math.abs(numeric[j]!));
      }
      worst = Math.max(worst, diff / scale);
    });
    for (const x of xs) x.grad?.dispose();
    return worst;
  });
}

export interface Compared {
  /** max |cpu - gpu| / max(1, max |cpu|) over the forward output */
  fwd: number;
  /** the same over each float input's gradient */
  grads: number[];
}

/** Runs f forward and backward (gradient w) on the CPU (f32) and on `other`; returns errors. */
export async function compareBackends(f: (xs: Tensor[]) => Tensor, inputs: Input[], other: Backend): Promise<Compared> {
  const run = async (b: Backend) => {
    const xs = inputs.map((inp) => fromArray(inp.data, inp.shape, { dtype: inp.int ? 'i32' : 'f32', backend: b, requiresGrad: !inp.int }));
    const out = f(xs);
    const o = await out.data();
    const w = weightsFor(out.size);
    out.backward(fromArray(w, out.shape, { backend: b }));
    const grads = await Promise.all(xs.map(async (x, i) => (inputs[i]!.int ? null : x.grad ? await x.grad.data() : null)));
    for (const x of xs) {
      x.grad?.dispose();
      x.dispose();
    }
    out.dispose();
    return { o, grads };
  };
  const a = await run(cpu);
  const b = await run(other);
  return { fwd: relMax(a.o, b.o), grads: a.grads.map((g, i) => (g && b.grads[i] ? relMax(g, b.grads[i]!) : 0)) };
}

export function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`length ${a.length} vs ${b.length}`);
  let d = 0;
  let s = 1;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) !== Number.isNaN(b[i]!)) return Infinity;
    if (Number.isNaN(a[i]!)) continue;
    d = Math.max(d, Math.abs(a[i]! - b[i]!));
    s = Math.max(s, Math.abs(a[i]!));
  }
  return d / s;
}

// ---- arbitraries ------------------------------------------------------------------------------
/** Shapes with small, odd and size-1 dims. */
export const arbShape = (minRank = 0, maxRank = 4, maxDim = 5) =>
  fc.array(fc.integer({ min: 1, max: maxDim }), { minLength: minRank, maxLength: maxRank });

const count = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export const arbData = (n: number, min = -2, max = 2) =>
  fc.array(fc.double({ min, max, noNaN: true, noDefaultInfinity: true }), { minLength: n, maxLength: n });

/** An input of the given shape with values in [min, max]. */
export const arbInput = (shape: number[], min = -2, max = 2) => arbData(count(shape), min, max).map((data): Input => ({ shape, data }));

export { count as numelOf };
