// AdamW state (first and second moments per trainable parameter) around the fused in-place op,
// with export/import as host tensors for checkpoints.
import { type Tensor, zeros } from '../core/tensor.ts';
import type { HostTensor, NamedTensors } from '../io/weights.ts';
import { adamw } from '../ops/optim.ts';

export interface AdamWHyper {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
}

export class AdamWState {
  readonly m: Tensor[];
  readonly v: Tensor[];
  constructor(
    readonly names: readonly string[],
    readonly params: readonly Tensor[],
    readonly hyper: AdamWHyper,
  ) {
    this.m = params.map((p) => zeros(p.shape, { backend: p.backend, dtype: p.dtype }).keep());
    this.v = params.map((p) => zeros(p.shape, { backend: p.backend, dtype: p.dtype }).keep());
  }

  /** One update from the parameters' .grad (1-based step for the bias corrections). */
  update(lr: number, step: number): void {
    adamw(
      this.params,
      this.params.map((p) => p.grad),
      this.m,
      this.v,
      { lr, step, ...this.hyper },
    );
  }

  async export(): Promise<NamedTensors> {
    const out: NamedTensors = new Map();
    for (let i = 0; i < this.names.length; i++) {
      for (const [k, t] of [
        ['m', this.m[i]!],
        ['v', this.v[i]!],
      ] as const) {
        out.set(`${k}.${this.names[i]}`, { shape: [...t.shape], data: Float32Array.from(await t.data()) });
      }
    }
    return out;
  }

  /** Restores moments written by export(); every entry must be present with its shape. */
  load(state: NamedTensors, source: string): void {
    this.names.forEach((name, i) => {
      for (const [k, t] of [
        ['m', this.m[i]!],
        ['v', this.v[i]!],
      ] as const) {
        const h: HostTensor | undefined = state.get(`${k}.${name}`);
        if (!h) throw new Error(`${source}: optimizer state has no ${k}.${name}`);
        if (h.shape.join() !== t.shape.join())
          throw new Error(`${source}: ${k}.${name} has shape [${h.shape}], the parameter has [${t.shape}]`);
        t.write(t.dtype === 'f32' ? h.data : Float64Array.from(h.data));
      }
    });
    const expected = this.names.length * 2;
    if (state.size !== expected) throw new Error(`${source}: optimizer state has ${state.size} tensors, expected ${expected}`);
  }

  dispose(): void {
    for (const t of [...this.m, ...this.v]) t.dispose();
  }
}
