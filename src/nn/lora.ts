// LoRA (Hu et al. 2021): rank-r adapters on the attention and MLP projections of a Llama.
// y = x Wᵀ + (alpha / r) · (x Aᵀ) Bᵀ with A [r, in] (PEFT's kaiming-uniform init, bound 1/√in)
// and B [out, r] = 0, so training starts from the base model. The base weights are frozen
// (requiresGrad off); only A and B train. Adapters are saved alone under PEFT's names
// (`base_model.model.<module>.lora_A.weight`) or merged into the weights (W + (alpha/r)·B·A).
import { Rng } from '../core/random.ts';
import { type Tensor, noGrad, scope } from '../core/tensor.ts';
import { add, mulScalar } from '../ops/elementwise.ts';
import { matmul } from '../ops/matmul.ts';
import type { Linear } from './layers.ts';
import type { Llama } from './llama.ts';
import { parameter } from './module.ts';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraOptions {
  rank: number;
  alpha: number;
  targets?: readonly LoraTarget[];
  seed?: number;
}

interface Adapter {
  /** Module path, e.g. model.layers.0.self_attn.q_proj */
  path: string;
  base: Linear;
  A: Tensor;
  B: Tensor;
  forward: Linear['forward'];
}

/** Host tensors by name (the shape Module.state() returns; io's NamedTensors is the same). */
type NamedTensors = Map<string, { shape: number[]; data: Float32Array }>;

const peftName = (path: string, ab: 'A' | 'B') => `base_model.model.${path}.lora_${ab}.weight`;

export class LoraAdapters {
  readonly adapters: Adapter[] = [];
  readonly scale: number;
  readonly targets: readonly LoraTarget[];

  constructor(
    readonly model: Llama,
    readonly opts: LoraOptions,
  ) {
    const { rank, alpha } = opts;
    if (!Number.isInteger(rank) || rank < 1) throw new Error(`LoRA rank must be a positive integer, got ${rank}`);
    if (!(alpha > 0) || !Number.isFinite(alpha)) throw new Error(`LoRA alpha must be a positive number, got ${alpha}`);
    this.targets = opts.targets ?? LORA_TARGETS;
    for (const t of this.targets)
      if (!LORA_TARGETS.includes(t)) throw new Error(`LoRA target ${JSON.stringify(t)} is not one of ${LORA_TARGETS.join(', ')}`);
    this.scale = alpha / rank;
    for (const p of model.parameters()) {
      p.requiresGrad = false; // the base is frozen
      p.grad?.dispose();
      p.grad = null;
    }
    const rng = new Rng(opts.seed ?? 0);
    const { backend, dtype } = model;
    model.blocks.forEach((blk, i) => {
      const mods: Record<LoraTarget, Linear> = {
        q_proj: blk.self_attn.q_proj,
        k_proj: blk.self_attn.k_proj,
        v_proj: blk.self_attn.v_proj,
        o_proj: blk.self_attn.o_proj,
        gate_proj: blk.mlp.gate_proj,
        up_proj: blk.mlp.up_proj,
        down_proj: blk.mlp.down_proj,
      };
      for (const t of this.targets) {
        const base = mods[t];
        const bound = 1 / Math.sqrt(base.inFeatures);
        const A = parameter(
          Float64Array.from({ length: rank * base.inFeatures }, () => (2 * rng.next() - 1) * bound),
          [rank, base.inFeatures],
          backend,
          dtype,
        );
        const B = parameter(new Float64Array(base.outFeatures * rank), [base.outFeatures, rank], backend, dtype);
        const path = `model.layers.${i}.${t === 'q_proj' || t === 'k_proj' || t === 'v_proj' || t === 'o_proj' ? 'self_attn' : 'mlp'}.${t}`;
        const forward = base.forward;
        const scale = this.scale;
        // the adapter wraps this instance's forward; dispose() puts the original back
        base.forward = (x: Tensor) =>
          add(forward.call(base, x), mulScalar(matmul(matmul(x, A, { transB: true }), B, { transB: true }), scale));
        this.adapters.push({ path, base, A, B, forward });
      }
    });
  }

  /** The trainable tensors under PEFT's names. */
  namedParameters(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const a of this.adapters) {
      out.set(peftName(a.path, 'A'), a.A);
      out.set(peftName(a.path, 'B'), a.B);
    }
    return out;
  }

  async exportAdapters(): Promise<NamedTensors> {
    const out: NamedTensors = new Map();
    for (const [n, t] of this.namedParameters()) out.set(n, { shape: [...t.shape], data: Float32Array.from(await t.data()) });
    return out;
  }

  loadAdapters(state: NamedTensors, source: string): void {
    const named = this.namedParameters();
    for (const [n, t] of named) {
      const h = state.get(n);
      if (!h) throw new Error(`${source}: no adapter tensor ${n}`);
      if (h.shape.join() !== t.shape.join()) throw new Error(`${source}: ${n} has shape [${h.shape}], expected [${t.shape}]`);
      t.write(t.dtype === 'f32' ? h.data : Float64Array.from(h.data));
    }
    if (state.size !== named.size)
      throw new Error(`${source}: ${state.size} adapter tensors, expected ${named.size} (rank or targets differ?)`);
  }

  /** PEFT's adapter_config.json. */
  peftConfig(baseModel = ''): Record<string, unknown> {
    return {
      peft_type: 'LORA',
      task_type: 'CAUSAL_LM',
      r: this.opts.rank,
      lora_alpha: this.opts.alpha,
      lora_dropout: 0,
      target_modules: [...this.targets],
      bias: 'none',
      fan_in_fan_out: false,
      base_model_name_or_path: baseModel,
    };
  }

  /** The model's weights with every adapter merged in: W + (alpha/r)·B·A. */
  async mergedWeights(): Promise<NamedTensors> {
    const out = await this.model.state();
    for (const a of this.adapters) {
      const merged = scope(() => noGrad(() => add(a.base.weight, mulScalar(matmul(a.B, a.A), this.scale))));
      out.set(`${a.path}.weight`, { shape: [...merged.shape], data: Float32Array.from(await merged.data()) });
      merged.dispose();
    }
    return out;
  }

  /** Removes the adapters (the model computes its base function again) and frees them. */
  dispose(): void {
    for (const a of this.adapters) {
      a.base.forward = a.forward;
      a.A.dispose();
      a.B.dispose();
    }
    this.adapters.length = 0;
  }
}
