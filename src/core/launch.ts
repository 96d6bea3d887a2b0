// The bridge between ops and backends: check the inputs, allocate the outputs, run the kernel.
import type { Backend, Kernel } from '../backend/backend.ts';
import type { DType } from './dtype.ts';
import { isFloat } from './dtype.ts';
import { type Shape, fmt } from './shape.ts';
import { type Tensor, empty } from './tensor.ts';

export interface OutSpec {
  shape: Shape;
  dtype: DType;
}

function checkBackend(kernel: string, backend: Backend, ts: Tensor[]): void {
  for (const t of ts) {
    if (t.backend !== backend) {
      throw new Error(`${kernel}: tensors live on different backends (${backend.name} and ${t.backend.name}); move them first`);
    }
  }
}

/** Runs kernel `k` on `inputs`, returning freshly allocated outputs. */
export function launch<P>(k: Kernel<P>, inputs: Tensor[], outs: OutSpec[], p: P, on?: Backend): Tensor[] {
  const backend = on ?? inputs[0]?.backend;
  if (!backend) throw new Error(`${k.name}: no inputs and no backend given`);
  checkBackend(k.name, backend, inputs);
  const outputs = outs.map((o) => empty(o.shape, o.dtype, backend));
  try {
    backend.run(
      k,
      inputs.map((t) => t.storage),
      outputs.map((t) => t.storage),
      p,
    );
  } catch (e) {
    for (const t of outputs) t.dispose(); // a refused launch must not leak its outputs
    throw e;
  }
  return outputs;
}

/** Runs `k` writing into existing tensors in place (optimizer updates, scatter into a buffer). */
export function launchInPlace<P>(k: Kernel<P>, inputs: Tensor[], outputs: Tensor[], p: P): void {
  const backend = outputs[0]!.backend;
  checkBackend(k.name, backend, [...inputs, ...outputs]);
  backend.run(
    k,
    inputs.map((t) => t.storage),
    outputs.map((t) => t.storage),
    p,
  );
  for (const t of outputs) t.bumpVersion(); // cached derivations of the old contents are stale
}

/** Checks that all tensors share one float dtype; returns it. */
export function floatDType(op: string, ...ts: Tensor[]): DType {
  const d = ts[0]!.dtype;
  for (const t of ts) {
    if (!isFloat(t.dtype)) throw new Error(`${op}: expected a float tensor, got ${t.dtype} ${fmt(t.shape)}`);
    if (t.dtype !== d) throw new Error(`${op}: dtype mismatch ${d} vs ${t.dtype} (shapes ${ts.map((x) => fmt(x.shape)).join(', ')})`);
  }
  return d;
}

export function expectDType(op: string, t: Tensor, d: DType, what: string): void {
  if (t.dtype !== d) throw new Error(`${op}: ${what} must be ${d}, got ${t.dtype} ${fmt(t.shape)}`);
}

export function expectRank(op: string, t: Tensor, rank: number, what: string): void {
  if (t.rank !== rank) throw new Error(`${op}: ${what} must have rank ${rank}, got shape ${fmt(t.shape)}`);
}
