// A Llama: token embedding, N blocks of (RMSNorm → GQA attention with RoPE → residual,
// RMSNorm → SwiGLU MLP → residual), final RMSNorm, output head (tied or not).
// Parameter names are HF's, so checkpoints map one to one.
// Training: forward(ids) over whole sequences (keyMask for padding), backward through autograd.
// Inference: forward(ids, {cache}) prefills or decodes with a KV cache, one position offset.
import type { Backend } from '../backend/backend.ts';
import type { DType } from '../core/dtype.ts';
import { Rng } from '../core/random.ts';
import { type Tensor, empty } from '../core/tensor.ts';
import { attention } from '../ops/attention.ts';
import { add } from '../ops/elementwise.ts';
import { crossEntropy } from '../ops/loss.ts';
import { matmul } from '../ops/matmul.ts';
import { rope } from '../ops/rope.ts';
import { slice, writeSlice } from '../ops/shape.ts';
import { swiglu } from '../ops/swiglu.ts';
import { type LlamaConfig, headDim, validateConfig } from './config.ts';
import { Embedding, type Init, Linear, RMSNorm } from './layers.ts';
import { Module } from './module.ts';

/** Per-layer key/value buffers [B, capacity, Hkv, hd] (time-major, as the projections emit them,
 *  so a step's write is one contiguous chunk per batch row); positions [0, length) are filled. */
export class KVCache {
  readonly k: Tensor[] = [];
  readonly v: Tensor[] = [];
  length = 0;
  constructor(
    readonly config: LlamaConfig,
    readonly batch: number,
    backend: Backend,
    readonly capacity = config.maxSeqLen,
    dtype: DType = 'f32',
  ) {
    const shape = [batch, capacity, config.nKvHeads, headDim(config)];
    for (let l = 0; l < config.nLayers; l++) {
      this.k.push(empty(shape, dtype, backend).keep());
      this.v.push(empty(shape, dtype, backend).keep());
    }
  }
  dispose(): void {
    for (const t of [...this.k, ...this.v]) t.dispose();
  }
}

class Attention extends Module {
  readonly q_proj: Linear;
  readonly k_proj: Linear;
  readonly v_proj: Linear;
  readonly o_proj: Linear;
  constructor(
    private readonly c: LlamaConfig,
    init: Init,
  ) {
    super();
    const hd = headDim(c);
    this.q_proj = this.child('q_proj', new Linear(c.dim, c.nHeads * hd, init));
    this.k_proj = this.child('k_proj', new Linear(c.dim, c.nKvHeads * hd, init));
    this.v_proj = this.child('v_proj', new Linear(c.dim, c.nKvHeads * hd, init));
    this.o_proj = this.child('o_proj', new Linear(c.nHeads * hd, c.dim, init, 0.02 / Math.sqrt(2 * c.nLayers)));
  }

  forward(x: Tensor, pos: number, layer: number, cache?: KVCache, keyMask?: Tensor): Tensor {
    const c = this.c;
    const [B, T] = x.shape as [number, number, number];
    const hd = headDim(c);
    // Everything stays time-major [B, T, H, hd] (a free reshape of [B, T, H*hd]): rope and
    // attention take that layout directly, so the model has no permute copies.
    const heads = (t: Tensor, h: number) => t.reshape([B, T, h, hd]);
    const ropeOpts = { layout: c.ropeLayout, theta: c.ropeTheta, scaling: c.ropeScaling, offset: pos, seqAxis: 1 } as const;
    const q = rope(heads(this.q_proj.forward(x), c.nHeads), ropeOpts);
    let k = rope(heads(this.k_proj.forward(x), c.nKvHeads), ropeOpts);
    let v = heads(this.v_proj.forward(x), c.nKvHeads);
    let causalOffset = 0;
    if (cache) {
      if (pos + T > cache.capacity)
        throw new Error(`KV cache overflow: positions ${pos}..${pos + T} exceed its capacity ${cache.capacity}`);
      writeSlice(cache.k[layer]!, k, 1, pos);
      writeSlice(cache.v[layer]!, v, 1, pos);
      // keys beyond pos + T hold stale data; causality (j <= pos + i) never reads them
      k = cache.k[layer]!;
      v = cache.v[layer]!;
      causalOffset = pos;
    }
    const o = attention(q, k, v, { causalOffset, layout: 'bthd', ...(keyMask ? { keyMask } : {}) });
    return this.o_proj.forward(o.reshape([B, T, c.nHeads * hd]));
  }
}

class Mlp extends Module {
  readonly gate_proj: Linear;
  readonly up_proj: Linear;
  readonly down_proj: Linear;
  constructor(c: LlamaConfig, init: Init) {
    super();
    this.gate_proj = this.child('gate_proj', new Linear(c.dim, c.hiddenDim, init));
    this.up_proj = this.child('up_proj', new Linear(c.dim, c.hiddenDim, init));
    this.down_proj = this.child('down_proj', new Linear(c.hiddenDim, c.dim, init, 0.02 / Math.sqrt(2 * c.nLayers)));
  }
  forward(x: Tensor): Tensor {
    return this.down_proj.forward(swiglu(this.gate_proj.forward(x), this.up_proj.forward(x)));
  }
}

class Block extends Module {
  readonly input_layernorm: RMSNorm;
  readonly self_attn: Attention;
  readonly post_attention_layernorm: RMSNorm;
  readonly mlp: Mlp;
  constructor(c: LlamaConfig, init: Init) {
    super();
    this.input_layernorm = this.child('input_layernorm', new RMSNorm(c.dim, c.normEps, init));
    this.self_attn = this.child('self_attn', new Attention(c, init));
    this.post_attention_layernorm = this.child('post_attention_layernorm', new RMSNorm(c.dim, c.normEps, init));
    this.mlp = this.child('mlp', new Mlp(c, init));
  }
  forward(x: Tensor, pos: number, layer: number, cache?: KVCache, keyMask?: Tensor): Tensor {
    const h = add(x, this.self_attn.forward(this.input_layernorm.forward(x), pos, layer, cache, keyMask));
    return add(h, this.mlp.forward(this.post_attention_layernorm.forward(h)));
  }
}

class Group extends Module {
  add<M extends Module>(name: string, m: M): M {
    return this.child(name, m);
  }
}

export interface ForwardOptions {
  /** Decode/prefill with this cache: tokens go at positions cache.length.. and it advances. */
  cache?: KVCache;
  /** 1 = real token, 0 = padding key nobody attends: [B, T] without a cache, [B, capacity]
   *  with one (left-padded batched generation). */
  keyMask?: Tensor;
  /** Only compute logits for the last position (generation). */
  lastOnly?: boolean;
}

export class Llama extends Module {
  readonly embed: Embedding;
  readonly blocks: Block[] = [];
  readonly norm: RMSNorm;
  readonly lmHead: Linear | null;

  readonly dtype: DType;

  constructor(
    readonly config: LlamaConfig,
    readonly backend: Backend,
    opts: { seed?: number; dtype?: DType } = {},
  ) {
    super();
    validateConfig(config);
    this.dtype = opts.dtype ?? 'f32';
    const init: Init = { backend, rng: new Rng(opts.seed ?? 0), dtype: this.dtype };
    const model = this.child('model', new Group());
    this.embed = model.add('embed_tokens', new Embedding(config.vocabSize, config.dim, init));
    const layers = model.add('layers', new Group());
    for (let i = 0; i < config.nLayers; i++) this.blocks.push(layers.add(String(i), new Block(config, init)));
    this.norm = model.add('norm', new RMSNorm(config.dim, config.normEps, init));
    this.lmHead = config.tiedEmbeddings ? null : this.child('lm_head', new Linear(config.dim, config.vocabSize, init));
  }

  /** ids: i32 [B, T] → logits [B, T, V] (or [B, 1, V] with lastOnly). */
  forward(ids: Tensor, opts: ForwardOptions = {}): Tensor {
    if (ids.dtype !== 'i32' || ids.rank !== 2)
      throw new Error(`Llama.forward: ids must be i32 [B, T], got ${ids.dtype} [${ids.shape.join(', ')}]`);
    const [B, T] = ids.shape as [number, number];
    const pos = opts.cache?.length ?? 0;
    if (opts.cache && opts.cache.batch !== B) throw new Error(`Llama.forward: cache batch ${opts.cache.batch} != ids batch ${B}`);
    if (pos + T > this.config.maxSeqLen)
      throw new Error(`Llama.forward: positions up to ${pos + T} exceed maxSeqLen ${this.config.maxSeqLen}`);
    let x = this.embed.forward(ids);
    this.blocks.forEach((b, l) => {
      x = b.forward(x, pos, l, opts.cache, opts.keyMask);
    });
    if (opts.cache) opts.cache.length = pos + T;
    if (opts.lastOnly && T > 1) x = slice(x, 1, T - 1, T);
    x = this.norm.forward(x);
    return this.lmHead ? this.lmHead.forward(x) : matmul(x, this.embed.weight, { transB: true });
  }

  /** Mean cross-entropy of next-token targets (i32 [B, T], −100 = ignored). */
  loss(ids: Tensor, targets: Tensor, keyMask?: Tensor): Tensor {
    return crossEntropy(this.forward(ids, keyMask ? { keyMask } : {}), targets);
  }
}
