// SwiGLU, the Llama feed-forward gate: y = silu(gate) · up, fused so the gate activation never
// hits memory; the backward gives both gradients from one pass.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { floatDType, launch } from '../core/launch.ts';
import { fmt, sameShape } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

const WG = 256;
const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));

interface SwigluP {
  n: number;
}

const swigluFwdK: Kernel<SwigluP> = {
  name: 'swiglu_fwd',
  cpu([gate, up], [y], { n }) {
    for (let i = 0; i < n; i++) {
      const a = gate![i]!;
      y![i] = a * sigmoid(a) * up![i]!;
    }
  },
  simd: (p) => ({ fn: 'swiglu_fwd', args: [p.n], work: p.n * 8 }), // src/backend/fast/rows.ts
  gpu: (p) => ({ shader: 'swiglu', entry: 'swiglu_fwd', uniforms: [p.n], workgroups: linearGrid(p.n, WG) }),
};

const swigluBwdK: Kernel<SwigluP> = {
  name: 'swiglu_bwd',
  cpu([gate, up, g], [dgate, dup], { n }) {
    for (let i = 0; i < n; i++) {
      const a = gate![i]!;
      const s = sigmoid(a);
      dgate![i] = g![i]! * up![i]! * s * (1 + a * (1 - s));
      dup![i] = g![i]! * a * s;
    }
  },
  simd: (p) => ({ fn: 'swiglu_bwd', args: [p.n], work: p.n * 8 }),
  gpu: (p) => ({ shader: 'swiglu', entry: 'swiglu_bwd', uniforms: [p.n], workgroups: linearGrid(p.n, WG) }),
};

/** silu(gate) · up for two tensors of one shape. */
export function swiglu(gate: Tensor, up: Tensor): Tensor {
  const dtype = floatDType('swiglu', gate, up);
  if (!sameShape(gate.shape, up.shape)) throw new Error(`swiglu: gate ${fmt(gate.shape)} and up ${fmt(up.shape)} must have the same shape`);
  const p = { n: gate.size };
  const [y] = launch(swigluFwdK, [gate, up], [{ shape: gate.shape, dtype }], p);
  record(y!, [gate, up], 'swiglu', (g) => {
    // One kernel writes both; an unneeded one is dropped (cheaper than a second pass).
    const [dgate, dup] = launch(
      swigluBwdK,
      [gate, up, g],
      [
        { shape: gate.shape, dtype },
        { shape: gate.shape, dtype },
      ],
      p,
    );
    if (!gate.requiresGrad) dgate!.dispose();
    if (!up.requiresGrad) dup!.dispose();
    return [gate.requiresGrad ? dgate! : null, up.requiresGrad ? dup! : null];
  });
  return y!;
}
