// Host-side weights shared by every checkpoint reader/writer: plain Float32Arrays keyed by the
// HF Llama names, so each file format only has to map its own names and layout onto these.
import type { LlamaConfig, RopeLayout } from '../nn/config.ts';
import { headDim, validateConfig } from '../nn/config.ts';

export interface HostTensor {
  shape: number[];
  data: Float32Array;
}

export type NamedTensors = Map<string, HostTensor>;

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** A tensor of the given shape; zero-filled unless data is given (its length must match). */
export function hostTensor(shape: number[], data?: Float32Array): HostTensor {
  const n = numel(shape);
  if (data && data.length !== n) throw new Error(`tensor data has ${data.length} values, shape [${shape}] needs ${n}`);
  return { shape: [...shape], data: data ?? new Float32Array(n) };
}

/** The per-layer parts, in HF naming. gate = w1, up = w3, down = w2 of llama2.c. */
export type LayerPart =
  | 'input_layernorm'
  | 'self_attn.q_proj'
  | 'self_attn.k_proj'
  | 'self_attn.v_proj'
  | 'self_attn.o_proj'
  | 'post_attention_layernorm'
  | 'mlp.gate_proj'
  | 'mlp.up_proj'
  | 'mlp.down_proj';

export const LAYER_PARTS: readonly LayerPart[] = [
  'input_layernorm',
  'self_attn.q_proj',
  'self_attn.k_proj',
  'self_attn.v_proj',
  'self_attn.o_proj',
  'post_attention_layernorm',
  'mlp.gate_proj',
  'mlp.up_proj',
  'mlp.down_proj',
];

export const EMBED = 'model.embed_tokens.weight';
export const FINAL_NORM = 'model.norm.weight';
export const LM_HEAD = 'lm_head.weight';

export function layerName(i: number, part: LayerPart): string {
  return `model.layers.${i}.${part}.weight`;
}

function layerShape(c: LlamaConfig, part: LayerPart): number[] {
  const kvDim = headDim(c) * c.nKvHeads;
  switch (part) {
    case 'input_layernorm':
    case 'post_attention_layernorm':
      return [c.dim];
    case 'self_attn.q_proj':
    case 'self_attn.o_proj':
      return [c.dim, c.dim];
    case 'self_attn.k_proj':
    case 'self_attn.v_proj':
      return [kvDim, c.dim];
    case 'mlp.gate_proj':
    case 'mlp.up_proj':
      return [c.hiddenDim, c.dim];
    case 'mlp.down_proj':
      return [c.dim, c.hiddenDim];
  }
}

/** Every canonical weight the config implies, with its shape ([out, in] for matrices), in a stable order. */
export function expectedShapes(c: LlamaConfig): Map<string, number[]> {
  const m = new Map<string, number[]>();
  m.set(EMBED, [c.vocabSize, c.dim]);
  for (let i = 0; i < c.nLayers; i++) for (const p of LAYER_PARTS) m.set(layerName(i, p), layerShape(c, p));
  m.set(FINAL_NORM, [c.dim]);
  if (!c.tiedEmbeddings) m.set(LM_HEAD, [c.vocabSize, c.dim]);
  return m;
}

/** How many tensors the config implies (computed, so a corrupt layer count costs nothing). */
export function expectedTensorCount(c: LlamaConfig): number {
  return LAYER_PARTS.length * c.nLayers + 2 + (c.tiedEmbeddings ? 0 : 1);
}

/** Index of the first NaN or ±Infinity in `data`, or -1. */
export function firstNonFinite(data: Float32Array): number {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return i;
  return -1;
}

/** Listing more missing tensors than this says nothing more; a count does. */
const MAX_LISTED_MISSING = 64;

/**
 * Throws, naming the source and every missing, unexpected or mis-shaped tensor, and the first
 * NaN/Infinity in any weight. The tensor count is compared before anything proportional to the
 * config is built, so a header claiming 2^31 layers fails at once.
 */
export function validateWeights(weights: NamedTensors, c: LlamaConfig, source: string): void {
  const wantCount = expectedTensorCount(c);
  if (wantCount > weights.size + MAX_LISTED_MISSING)
    throw new Error(
      `${source}: weights do not match the config: it implies ${wantCount} tensors (${c.nLayers} layers${c.tiedEmbeddings ? '' : ' and an untied lm_head'}), the checkpoint holds ${weights.size}`,
    );
  const want = expectedShapes(c);
  const errs: string[] = [];
  for (const [name, shape] of want) {
    const t = weights.get(name);
    if (!t) errs.push(`missing ${name}`);
    else if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k]))
      errs.push(`${name} has shape [${t.shape}], expected [${shape}]`);
    else if (t.data.length !== numel(shape)) errs.push(`${name} has ${t.data.length} values, expected ${numel(shape)}`);
  }
  for (const name of weights.keys()) if (!want.has(name)) errs.push(`unexpected tensor ${name}`);
  if (errs.length) {
    const listed =
      errs.length > MAX_LISTED_MISSING ? [...errs.slice(0, MAX_LISTED_MISSING), `and ${errs.length - MAX_LISTED_MISSING} more`] : errs;
    throw new Error(`${source}: weights do not match the config: ${listed.join('; ')}`);
  }
  checkFinite(weights, source);
}

/** Refuses NaN/Infinity weights, naming the tensor and the element. */
export function checkFinite(weights: NamedTensors, source: string): void {
  for (const [name, t] of weights) {
    const i = firstNonFinite(t.data);
    if (i >= 0) throw new Error(`${source}: tensor ${name} holds ${t.data[i]} at flat index ${i} (weights must be finite)`);
  }
}

export function paramCount(weights: NamedTensors): number {
  let n = 0;
  for (const t of weights.values()) n += t.data.length;
  return n;
}

/**
 * Reorders the rows of a q or k projection ([nHeads * hd, cols], row-major) between RoPE layouts.
 * Within each head, interleaved row 2i corresponds to half-layout row i and interleaved row 2i+1 to
 * half-layout row i + hd/2, so the rotation pairs stay the same pairs of output features.
 */
export function permuteQK(t: HostTensor, nHeads: number, from: RopeLayout, to: RopeLayout): HostTensor {
  const [rows, cols] = t.shape;
  if (t.shape.length !== 2 || rows === undefined || cols === undefined || rows % nHeads !== 0)
    throw new Error(`permuteQK: shape [${t.shape}] is not [nHeads=${nHeads} * headDim, in]`);
  const hd = rows / nHeads;
  if (hd % 2 !== 0) throw new Error(`permuteQK: head dim ${hd} must be even`);
  if (from === to) return { shape: [rows, cols], data: t.data.slice() };
  const out = new Float32Array(t.data.length);
  const half = hd / 2;
  for (let h = 0; h < nHeads; h++) {
    const base = h * hd;
    for (let i = 0; i < half; i++) {
      for (let j = 0; j < 2; j++) {
        const inter = base + 2 * i + j;
        const halfRow = base + i + j * half;
        const [src, dst] = to === 'half' ? [inter, halfRow] : [halfRow, inter];
        out.set(t.data.subarray(src * cols, (src + 1) * cols), dst * cols);
      }
    }
  }
  return { shape: [rows, cols], data: out };
}

/**
 * The same model with q/k projections reordered for `target`'s RoPE layout (q per nHeads, k per
 * nKvHeads). Returns a new map; tensors other than q/k are shared with the input, not copied.
 */
export function toLayout(weights: NamedTensors, config: LlamaConfig, target: RopeLayout): { config: LlamaConfig; weights: NamedTensors } {
  validateConfig(config);
  const out: NamedTensors = new Map(weights);
  if (config.ropeLayout !== target) {
    for (let i = 0; i < config.nLayers; i++) {
      for (const [part, heads] of [
        ['self_attn.q_proj', config.nHeads],
        ['self_attn.k_proj', config.nKvHeads],
      ] as const) {
        const name = layerName(i, part);
        const t = weights.get(name);
        if (!t) throw new Error(`toLayout: missing ${name}`);
        out.set(name, permuteQK(t, heads, config.ropeLayout, target));
      }
    }
  }
  return { config: { ...config, ropeLayout: target }, weights: out };
}
