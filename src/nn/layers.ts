// The three layers a Llama is made of. Weights are initialised small and seeded; real
// checkpoints overwrite them through Module.loadState.
import type { Backend } from '../backend/backend.ts';
import { Rng } from '../core/random.ts';
import type { Tensor } from '../core/tensor.ts';
import { embedding } from '../ops/embedding.ts';
import { matmul } from '../ops/matmul.ts';
import { rmsnorm } from '../ops/norm.ts';
import { Module, parameter } from './module.ts';

function normal(n: number, std: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => std * rng.normal());
}

/** y = x Wᵀ with W stored [out, in] as in PyTorch / HF / llama2.c. No bias (Llama has none). */
export class Linear extends Module {
  readonly weight: Tensor;
  constructor(readonly inFeatures: number, readonly outFeatures: number, backend: Backend, rng: Rng, std = 0.02) {
    super();
    this.weight = this.param('weight', parameter(normal(inFeatures * outFeatures, std, rng), [outFeatures, inFeatures], backend));
  }
  forward(x: Tensor): Tensor {
    return matmul(x, this.weight, { transB: true });
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(readonly vocab: number, readonly dim: number, backend: Backend, rng: Rng, std = 0.02) {
    super();
    this.weight = this.param('weight', parameter(normal(vocab * dim, std, rng), [vocab, dim], backend));
  }
  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}

export class RMSNorm extends Module {
  readonly weight: Tensor;
  constructor(readonly dim: number, readonly eps: number, backend: Backend) {
    super();
    this.weight = this.param('weight', parameter(new Float32Array(dim).fill(1), [dim], backend));
  }
  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }
}

export { Rng };
