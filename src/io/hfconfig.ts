// Hugging Face LlamaForCausalLM directories: config.json plus model.safetensors (or shards).
// HF stores q/k in the rotate-half RoPE layout, so loads come back with ropeLayout 'half' unless a
// target layout is asked for, and saves convert to 'half' first.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaConfig, RopeLayout, RopeScaling } from '../nn/config.ts';
import { headDim, validateConfig } from '../nn/config.ts';
import { writeFileAtomic } from './binary.ts';
import { readJsonFile } from './files.ts';
import type { SafetensorsWriteDtype } from './safetensors.ts';
import { readSafetensorsDir, writeSafetensorsDir } from './safetensors.ts';
import type { NamedTensors } from './weights.ts';
import { LM_HEAD, expectedShapes, toLayout, validateWeights } from './weights.ts';

/** RoPE parameters as HF writes them: transformers ≥ 5 under `rope_parameters` (theta inside),
 *  4.x as top-level `rope_theta` plus `rope_scaling` (null when unscaled). */
export interface HFRopeScaling {
  rope_type: 'linear' | 'llama3';
  factor: number;
  low_freq_factor?: number;
  high_freq_factor?: number;
  original_max_position_embeddings?: number;
}
export type HFRopeParameters = { rope_type: 'default'; rope_theta: number } | (HFRopeScaling & { rope_theta: number });

/** The config.json fields heed writes (HF's file may hold more; see configFromHF for which it reads). */
export interface HFLlamaConfig {
  architectures: string[];
  model_type: 'llama';
  hidden_size: number;
  intermediate_size: number;
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number;
  head_dim: number;
  vocab_size: number;
  max_position_embeddings: number;
  rms_norm_eps: number;
  tie_word_embeddings: boolean;
  hidden_act: 'silu';
  attention_bias: false;
  mlp_bias: false;
  /** 4.x layout (5.x reads it too: a non-null rope_scaling takes precedence, rope_theta fills in). */
  rope_theta: number;
  rope_scaling: HFRopeScaling | null;
  /** 5.x layout, the same values. */
  rope_parameters: HFRopeParameters;
  /** 4.x name of the weights' dtype; 5.x calls it `dtype`. */
  torch_dtype: 'float32' | 'bfloat16';
  dtype: 'float32' | 'bfloat16';
}

function scalingToHF(s: RopeScaling): HFRopeScaling {
  if (s.type === 'linear') return { rope_type: 'linear', factor: s.factor };
  return {
    rope_type: 'llama3',
    factor: s.factor,
    low_freq_factor: s.lowFreqFactor,
    high_freq_factor: s.highFreqFactor,
    original_max_position_embeddings: s.originalMaxPositions,
  };
}

/** config.json in both layouts at once, so transformers 4.x and 5.x read the same model from it. */
export function configToHF(c: LlamaConfig, dtype: SafetensorsWriteDtype = 'F32'): HFLlamaConfig {
  validateConfig(c);
  const scaling = c.ropeScaling ? scalingToHF(c.ropeScaling) : null;
  const torchDtype = dtype === 'F32' ? 'float32' : 'bfloat16';
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    hidden_size: c.dim,
    intermediate_size: c.hiddenDim,
    num_hidden_layers: c.nLayers,
    num_attention_heads: c.nHeads,
    num_key_value_heads: c.nKvHeads,
    head_dim: headDim(c),
    vocab_size: c.vocabSize,
    max_position_embeddings: c.maxSeqLen,
    rms_norm_eps: c.normEps,
    tie_word_embeddings: c.tiedEmbeddings,
    hidden_act: 'silu',
    attention_bias: false,
    mlp_bias: false,
    rope_theta: c.ropeTheta,
    rope_scaling: scaling,
    rope_parameters: scaling ? { ...scaling, rope_theta: c.ropeTheta } : { rope_type: 'default', rope_theta: c.ropeTheta },
    torch_dtype: torchDtype,
    dtype: torchDtype,
  };
}

/** The keys each supported rope_type may carry inside its dict. */
const ROPE_KEYS: Record<string, readonly string[]> = {
  default: ['rope_type', 'type', 'rope_theta', 'partial_rotary_factor'],
  linear: ['rope_type', 'type', 'rope_theta', 'partial_rotary_factor', 'factor'],
  llama3: [
    'rope_type',
    'type',
    'rope_theta',
    'partial_rotary_factor',
    'factor',
    'low_freq_factor',
    'high_freq_factor',
    'original_max_position_embeddings',
  ],
};

/**
 * LlamaConfig from a parsed config.json. RoPE comes from either layout (transformers ≥ 5
 * `rope_parameters`, 4.x top-level `rope_theta` + `rope_scaling`); a value given in several places
 * must agree. A key absent everywhere takes HF LlamaConfig's default (num_key_value_heads =
 * num_attention_heads, rope_theta 10000, rms_norm_eps 1e-6, untied, 2048 positions, silu); what
 * heed's model cannot run (biases, dropout, sliding windows, partial or other RoPE types,
 * quantized weights, a non-standard head_dim) is refused, naming the file and the key.
 */
export function configFromHF(json: unknown, source = 'config.json'): LlamaConfig {
  const fail = (msg: string): never => {
    throw new Error(`${source}: ${msg}`);
  };
  const show = (v: unknown) => JSON.stringify(v);
  if (typeof json !== 'object' || json === null || Array.isArray(json)) return fail('not a JSON object');
  const j = json as Record<string, unknown>;
  // HF writes null for "not set"; treat it as absent.
  const has = (o: Record<string, unknown>, k: string) => Object.hasOwn(o, k) && o[k] !== undefined && o[k] !== null;
  if (j.model_type !== undefined && j.model_type !== 'llama') fail(`model_type ${show(j.model_type)} is not "llama"`);
  if (has(j, 'architectures') && !(Array.isArray(j.architectures) && j.architectures.includes('LlamaForCausalLM')))
    fail(`architectures ${show(j.architectures)} does not name LlamaForCausalLM`);
  const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const num = (key: string, dflt?: number): number => {
    if (!has(j, key)) return dflt ?? fail(`${key} is ${j[key] === null ? 'null' : 'missing'}`);
    const v = j[key];
    return isNum(v) ? v : fail(`${key} is ${show(v)}, not a number`);
  };
  const bool = (key: string, dflt: boolean): boolean => {
    if (!has(j, key)) return dflt;
    return typeof j[key] === 'boolean' ? (j[key] as boolean) : fail(`${key} ${show(j[key])} is not a boolean`);
  };

  // What heed's model does not implement.
  const act = has(j, 'hidden_act') ? j.hidden_act : 'silu';
  if (act !== 'silu') fail(`hidden_act ${show(act)} is not supported (only "silu")`);
  for (const k of ['attention_bias', 'mlp_bias']) if (bool(k, false)) fail(`${k} true is not supported (heed's Llama has no biases)`);
  if (num('attention_dropout', 0) !== 0) fail(`attention_dropout ${show(j.attention_dropout)} is not supported (heed has no dropout)`);
  if (has(j, 'sliding_window')) fail(`sliding_window ${show(j.sliding_window)} is not supported (heed attends to every earlier position)`);
  if (bool('use_sliding_window', false)) fail('use_sliding_window true is not supported');
  if (has(j, 'layer_types') && !(Array.isArray(j.layer_types) && j.layer_types.every((t) => t === 'full_attention')))
    fail(`layer_types ${show(j.layer_types)} is not supported (only "full_attention" layers)`);
  if (has(j, 'quantization_config')) fail('quantization_config is not supported (heed reads unquantized weights)');
  const tie = bool('tie_word_embeddings', false);

  const nHeads = num('num_attention_heads');
  const rope = readRope(j, fail);
  const config: LlamaConfig = {
    dim: num('hidden_size'),
    hiddenDim: num('intermediate_size'),
    nLayers: num('num_hidden_layers'),
    nHeads,
    nKvHeads: num('num_key_value_heads', nHeads),
    vocabSize: num('vocab_size'),
    maxSeqLen: num('max_position_embeddings', 2048),
    ropeTheta: rope.theta,
    ropeLayout: 'half',
    ...(rope.scaling ? { ropeScaling: rope.scaling } : {}),
    normEps: num('rms_norm_eps', 1e-6),
    tiedEmbeddings: tie,
  };
  if (has(j, 'head_dim') && j.head_dim !== config.dim / nHeads)
    fail(`head_dim ${show(j.head_dim)} differs from hidden_size / num_attention_heads = ${config.dim / nHeads}`);
  try {
    validateConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  return config;
}

/** RoPE theta and scaling from whichever of HF's layouts the file uses; values found in more
 *  than one place must agree. */
function readRope(j: Record<string, unknown>, fail: (msg: string) => never): { theta: number; scaling?: RopeScaling } {
  const show = (v: unknown) => JSON.stringify(v);
  const dict = (key: string): Record<string, unknown> | undefined => {
    const v = j[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'object' || Array.isArray(v)) return fail(`${key} ${show(v)} is not an object`);
    const d = v as Record<string, unknown>;
    // transformers ≥ 5 nests per-layer-type dicts (e.g. {"full_attention": {...}, "sliding_attention": {...}})
    if (Object.values(d).some((x) => typeof x === 'object' && x !== null && !Array.isArray(x)))
      fail(`${key} ${show(v)} holds per-layer-type RoPE parameters, which heed does not support`);
    return d;
  };
  // Every place a value may sit, named as the error messages name it.
  const places: { name: string; dict: Record<string, unknown> }[] = [];
  const params = dict('rope_parameters');
  const legacy = dict('rope_scaling');
  if (params) places.push({ name: 'rope_parameters', dict: params });
  if (legacy) places.push({ name: 'rope_scaling', dict: legacy });
  const top = { name: '', dict: j };
  /** The one value of `key` across `where` (aliases included), or undefined when none has it. */
  const pick = (keys: string[], where: { name: string; dict: Record<string, unknown> }[]): { value: unknown; at: string } | undefined => {
    let found: { value: unknown; at: string } | undefined;
    for (const p of where)
      for (const k of keys) {
        const v = p.dict[k];
        if (v === undefined || v === null) continue;
        const at = p.name ? `${p.name}.${k}` : k;
        if (found && found.value !== v) fail(`${found.at} ${show(found.value)} disagrees with ${at} ${show(v)}`);
        found ??= { value: v, at };
      }
    return found;
  };
  const number = (keys: string[], where: typeof places): { value: number; at: string } | undefined => {
    const f = pick(keys, where);
    if (f && (typeof f.value !== 'number' || !Number.isFinite(f.value))) fail(`${f.at} is ${show(f.value)}, not a number`);
    return f as { value: number; at: string } | undefined;
  };

  const thetaAt = number(['rope_theta'], [top, ...places]);
  const theta = thetaAt?.value ?? 10000; // HF's default_theta, when no place has it
  const prf = number(['partial_rotary_factor'], [top, ...places]);
  if (prf && prf.value !== 1) fail(`${prf.at} ${prf.value} is not supported (heed rotates the whole head)`);
  const typeAt = pick(['rope_type', 'type'], places);
  const type = typeAt?.value ?? 'default';
  if (type !== 'default' && type !== 'linear' && type !== 'llama3')
    fail(`${typeAt!.at} ${show(type)} is not supported (heed implements "default", "linear" and "llama3")`);
  const allowed = ROPE_KEYS[type as string]!;
  for (const p of places)
    for (const k of Object.keys(p.dict))
      if (!allowed.includes(k) && p.dict[k] !== null) fail(`${p.name}.${k} is not supported with rope_type ${show(type)}`);
  if (type === 'default') return { theta };

  const where = places.map((p) => p.name).join(' / ') || 'rope_parameters';
  const required = (key: string, extra: typeof places = []): number => {
    const f = number([key], [...places, ...extra]);
    return f ? f.value : fail(`${where}.${key} is missing (rope_type ${show(type)} needs it)`);
  };
  const factor = required('factor');
  if (type === 'linear') return { theta, scaling: { type: 'linear', factor } };
  // HF reads a top-level original_max_position_embeddings too (Phi-3 style); it must agree.
  const scaling: RopeScaling = {
    type: 'llama3',
    factor,
    lowFreqFactor: required('low_freq_factor'),
    highFreqFactor: required('high_freq_factor'),
    originalMaxPositions: required('original_max_position_embeddings', [top]),
  };
  return { theta, scaling };
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
  const json = `${JSON.stringify(configToHF(hf.config, opts.dtype), null, 2)}\n`;
  writeFileAtomic(join(dir, 'config.json'), [new TextEncoder().encode(json)]);
  return ['config.json', ...files];
}

/** Reads an HF Llama directory. Weights come back in `layout` (default 'half', as stored). */
export function loadHF(dir: string, layout: RopeLayout = 'half'): { config: LlamaConfig; weights: NamedTensors } {
  const cfgPath = join(dir, 'config.json');
  const config = configFromHF(readJsonFile(cfgPath, 'config'), cfgPath);
  const { tensors } = readSafetensorsDir(dir);
  // Older checkpoints carry RoPE inv_freq buffers; tied ones may still include a copy of lm_head.
  for (const name of [...tensors.keys()]) if (name.endsWith('.rotary_emb.inv_freq')) tensors.delete(name);
  if (config.tiedEmbeddings) tensors.delete(LM_HEAD);
  validateWeights(tensors, config, dir);
  return toLayout(tensors, config, layout);
}
