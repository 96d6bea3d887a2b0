// Hugging Face LlamaForCausalLM directories: config.json plus model.safetensors (or shards).
// HF stores q/k in the rotate-half RoPE layout, so loads come back with ropeLayout 'half' unless a
// target layout is asked for, and saves convert to 'half' first.
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig, RopeLayout } from '../nn/config.ts';
import { headDim, validateConfig } from '../nn/config.ts';
import { writeFileAtomic } from './binary.ts';
import type { SafetensorsWriteDtype } from './safetensors.ts';
import { readSafetensorsDir, writeSafetensorsDir } from './safetensors.ts';
import type { NamedTensors } from './weights.ts';
import { LM_HEAD, expectedShapes, toLayout, validateWeights } from './weights.ts';

/** The config.json fields heed reads and writes (HF's file may hold more; they are ignored). */
export interface HFLlamaConfig {
  architectures: string[];
  model_type: 'llama';
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  vocab_size: number;
  max_position_embeddings: number;
  rope_theta: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  hidden_act: 'silu';
  head_dim: number;
  torch_dtype: 'float32' | 'bfloat16';
  attention_bias: boolean;
  mlp_bias: boolean;
  rope_scaling: null;
}

export function configToHF(c: LlamaConfig, dtype: SafetensorsWriteDtype = 'F32'): HFLlamaConfig {
  validateConfig(c);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rope_theta: c.ropeTheta,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: 'silu',
    head_dim: headDim(c),
    torch_dtype: dtype === 'F32' ? 'float32' : 'bfloat16',
    attention_bias: false,
    mlp_bias: false,
    rope_scaling: null,
  };
}

/**
 * LlamaConfig from a parsed config.json, using HF's LlamaConfig defaults for absent optional fields
 * (num_key_value_heads = num_attention_heads, rope_theta 10000, rms_norm_eps 1e-6, untied, 2048
 * positions). Rejects what heed's model cannot run: rope scaling, biases, a non-standard head_dim.
 */
export function configFromHF(json: unknown, source = 'config.json'): LlamaConfig {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const j = json as Record<string, unknown>;
  if (j.model_type !== undefined && j.model_type !== 'llama') fail(`model_type ${JSON.stringify(j.model_type)} is not "llama"`);
  const num = (key: string, dflt?: number): number => {
    const v = j[key] ?? dflt;
    if (typeof v !== 'number' || !Number.isFinite(v)) return fail(`${key} is ${v === undefined ? 'missing' : JSON.stringify(v) + ', not a number'}`);
    return v;
  };
  const act = j.hidden_act ?? 'silu';
  if (act !== 'silu') fail(`hidden_act ${JSON.stringify(act)} is not supported (only silu)`);
  if (j.rope_scaling !== undefined && j.rope_scaling !== null) fail(`rope_scaling ${JSON.stringify(j.rope_scaling)} is not supported`);
  if (j.attention_bias === true || j.mlp_bias === true) fail('attention/mlp biases are not supported');
  const tie = j.tie_word_embeddings ?? false;
  if (typeof tie !== 'boolean') fail(`tie_word_embeddings ${JSON.stringify(tie)} is not a boolean`);
  const nHeads = num('num_attention_heads');
  const config: LlamaConfig = {
    dim: num('hidden_size'),
    hiddenDim: num('intermediate_size'),
    nLayers: num('num_hidden_layers'),
    nHeads,
    nKvHeads: num('num_key_value_heads', nHeads),
    vocabSize: num('vocab_size'),
    maxSeqLen: num('max_position_embeddings', 2048),
    ropeTheta: num('rope_theta', 10000),
    ropeLayout: 'half',
    normEps: num('rms_norm_eps', 1e-6),
    tiedEmbeddings: tie as boolean,
  };
  if (j.head_dim !== undefined && j.head_dim !== null && j.head_dim !== config.dim / nHeads)
    fail(`head_dim ${JSON.stringify(j.head_dim)} differs from hidden_size / num_attention_heads = ${config.dim / nHeads}`);
  try {
    validateConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  return config;
}

export interface SaveHFOptions {
  dtype?: SafetensorsWriteDtype;
  /** Shard the weights into files of at most this many bytes (default: one file). */
  maxShardBytes?: number;
}

/** Writes config.json and the safetensors weights (in HF's half RoPE layout) into `dir`, creating it. */
export function saveHF(dir: string, config: LlamaConfig, weights: NamedTensors, opts: SaveHFOptions = {}): string[] {
  const hf = toLayout(weights, config, 'half');
  validateWeights(hf.weights, hf.config, `saveHF ${dir}`);
  // Write in canonical order so files are deterministic whatever order the map was built in.
  const ordered: NamedTensors = new Map([...expectedShapes(hf.config).keys()].map((n) => [n, hf.weights.get(n)!]));
  mkdirSync(dir, { recursive: true });
  const files = writeSafetensorsDir(dir, ordered, {
    dtype: opts.dtype ?? 'F32',
    metadata: { format: 'pt' },
    ...(opts.maxShardBytes !== undefined ? { maxShardBytes: opts.maxShardBytes } : {}),
  });
  const json = JSON.stringify(configToHF(hf.config, opts.dtype), null, 2) + '\n';
  writeFileAtomic(join(dir, 'config.json'), [new TextEncoder().encode(json)]);
  return ['config.json', ...files];
}

/** Reads an HF Llama directory. Weights come back in `layout` (default 'half', as stored). */
export function loadHF(dir: string, layout: RopeLayout = 'half'): { config: LlamaConfig; weights: NamedTensors } {
  const cfgPath = join(dir, 'config.json');
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cfgPath, 'utf8'));
  } catch (e) {
    throw new Error(`${cfgPath}: cannot read config (${(e as Error).message})`);
  }
  const config = configFromHF(json, cfgPath);
  const { tensors } = readSafetensorsDir(dir);
  // Older checkpoints carry RoPE inv_freq buffers; tied ones may still include a copy of lm_head.
  for (const name of [...tensors.keys()]) if (name.endsWith('.rotary_emb.inv_freq')) tensors.delete(name);
  if (config.tiedEmbeddings) tensors.delete(LM_HEAD);
  validateWeights(tensors, config, dir);
  return toLayout(tensors, config, layout);
}
