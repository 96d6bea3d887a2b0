// Module and Parameter: named, kept tensors that require grad, collected recursively.
import type { Backend } from '../backend/backend.ts';
import type { DType } from '../core/dtype.ts';
import { fmt, sameShape } from '../core/shape.ts';
import { type Tensor, fromArray } from '../core/tensor.ts';

/** A parameter is a kept leaf tensor that requires grad. */
export function parameter(data: ArrayLike<number>, shape: number[], backend: Backend, dtype: DType = 'f32'): Tensor {
  const t = fromArray(data, shape, { backend, dtype, requiresGrad: true });
  return t.keep();
}

export abstract class Module {
  private readonly params = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected param(name: string, t: Tensor): Tensor {
    this.params.set(name, t);
    return t;
  }
  protected child<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  /** Parameters by dotted name, e.g. `model.layers.0.self_attn.q_proj.weight`. */
  namedParameters(prefix = ''): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [n, t] of this.params) out.set(prefix + n, t);
    for (const [n, c] of this.children) for (const [k, t] of c.namedParameters(`${prefix}${n}.`)) out.set(k, t);
    return out;
  }

  parameters(): Tensor[] {
    return [...this.namedParameters().values()];
  }

  numParameters(): number {
    return this.parameters().reduce((s, p) => s + p.size, 0);
  }

  /** Replaces parameter contents (shapes must match exactly). */
  loadState(state: Map<string, { shape: number[]; data: Float32Array }>, { strict = true } = {}): void {
    const named = this.namedParameters();
    for (const [name, p] of named) {
      const src = state.get(name);
      if (!src) {
        if (strict) throw new Error(`loadState: missing parameter ${name} ${fmt(p.shape)}`);
        continue;
      }
      if (!sameShape(src.shape, p.shape))
        throw new Error(`loadState: ${name} has shape ${fmt(src.shape)}, the model expects ${fmt(p.shape)}`);
      p.write(p.dtype === 'f32' ? src.data : Float64Array.from(src.data));
    }
    if (strict) for (const k of state.keys()) if (!named.has(k)) throw new Error(`loadState: unexpected tensor ${k}`);
  }

  /** Copies all parameters to the host. */
  async state(): Promise<Map<string, { shape: number[]; data: Float32Array }>> {
    const out = new Map<string, { shape: number[]; data: Float32Array }>();
    for (const [name, p] of this.namedParameters()) out.set(name, { shape: [...p.shape], data: Float32Array.from(await p.data()) });
    return out;
  }

  dispose(): void {
    for (const p of this.parameters()) {
      p.grad?.dispose();
      p.dispose();
    }
  }
}
