// The three layers a Llama is made of. Weights are initialised small and seeded; real
// checkpoints overwrite them through Module.loadState.
import type { Backend } from '../backend/backend.ts';
import type { DType } from '../core/dtype.ts';
import { Rng } from '../core/random.ts';
import type { Tensor } from '../core/tensor.ts';
import { embedding } from '../ops/embedding.ts';
import { matmul } from '../ops/matmul.ts';
import { rmsnorm } from '../ops/norm.ts';
import { Module, parameter } from './module.ts';

function normal(n: number, std: number, rng: Rng): Float64Array {
  return Float64Array.from({ length: n }, () => std * rng.normal());
}

/** Where a layer's parameters live and how they start. */
export interface Init {
  backend: Backend;
  rng: Rng;
  dtype: DType;
}

/** y = x Wᵀ with W stored [out, in] as in PyTorch / HF / llama2.c. No bias (Llama has none). */
export class Linear extends Module {
  readonly weight: Tensor;
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    init: Init,
    std = 0.02,
  ) {
    super();
    this.weight = this.param(
      'weight',
      parameter(normal(inFeatures * outFeatures, std, init.rng), [outFeatures, inFeatures], init.backend, init.dtype),
    );
  }
  forward(x: Tensor): Tensor {
    return matmul(x, this.weight, { transB: true });
  }
}

export class Embedding extends Module {
  readonly weight: Tensor;
  constructor(
    readonly vocab: number,
    readonly dim: number,
    init: Init,
    std = 0.02,
  ) {
    super();
    this.weight = this.param('weight', parameter(normal(vocab * dim, std, init.rng), [vocab, dim], init.backend, init.dtype));
  }
  forward(ids: Tensor): Tensor {
    return embedding(ids, this.weight);
  }
}

export class RMSNorm extends Module {
  readonly weight: Tensor;
  constructor(
    readonly dim: number,
    readonly eps: number,
    init: Init,
  ) {
    super();
    this.weight = this.param('weight', parameter(new Float32Array(dim).fill(1), [dim], init.backend, init.dtype));
  }
  forward(x: Tensor): Tensor {
    return rmsnorm(x, this.weight, this.eps);
  }
}

export { Rng };
