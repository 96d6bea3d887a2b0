// Llama models as GGUF files llama.cpp can load (arch "llama"): the hyperparameter and tokenizer keys
// it requires, GGUF tensor names, and q/k in the interleaved (Meta) RoPE layout that arch expects.
import type { LlamaConfig } from '../nn/config.ts';
import { headDim, validateConfig } from '../nn/config.ts';
import { namingErrors, readFileBytes, writeFileAtomic } from './files.ts';
import type { GGUFMetadata, GGUFTensor, GGUFValue } from './ggufContainer.ts';
import { encodeGGUF, parseGGUF } from './ggufContainer.ts';
import type { LayerPart, NamedTensors } from './weights.ts';
import { EMBED, FINAL_NORM, LM_HEAD, expectedShapes, toLayout, validateWeights } from './weights.ts';

export * from './ggufContainer.ts';

export interface GGUFVocab {
  tokens: string[];
  scores: number[];
  /** SentencePiece token types: 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte. */
  types: number[];
  bos: number;
  eos: number;
}

export interface GGUFModel {
  config: LlamaConfig;
  weights: NamedTensors;
  vocab: GGUFVocab;
  /** Every metadata key in the file, including the ones decoded into config and vocab. */
  metadata: GGUFMetadata;
}

export interface WriteGGUFOptions {
  /** Matrices in F32 (default) or F16; norm vectors stay F32 as llama.cpp's converter keeps them. */
  dtype?: 'F32' | 'F16';
  name?: string;
  alignment?: number;
  /** More keys to write after heed's own (which they may not repeat). */
  extraMetadata?: GGUFMetadata;
}

const GGUF_LAYER_PARTS: Record<LayerPart, string> = {
  input_layernorm: 'attn_norm',
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  post_attention_layernorm: 'ffn_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};
const GGUF_GLOBALS: Record<string, string> = {
  [EMBED]: 'token_embd.weight',
  [FINAL_NORM]: 'output_norm.weight',
  [LM_HEAD]: 'output.weight',
};

/** GGUF tensor name for a canonical (HF) name. */
export function ggufName(canonical: string): string {
  const g = GGUF_GLOBALS[canonical];
  if (g) return g;
  const m = /^model\.layers\.(\d+)\.(.+)\.weight$/.exec(canonical);
  const part = m && GGUF_LAYER_PARTS[m[2] as LayerPart];
  if (!m || !part) throw new Error(`no GGUF name for tensor ${canonical}`);
  return `blk.${m[1]}.${part}.weight`;
}

/** Canonical (HF) name for a GGUF tensor name, or undefined if it is not a Llama weight. */
export function canonicalName(gguf: string): string | undefined {
  for (const [c, g] of Object.entries(GGUF_GLOBALS)) if (g === gguf) return c;
  const m = /^blk\.(\d+)\.(\w+)\.weight$/.exec(gguf);
  if (!m) return undefined;
  const part = (Object.keys(GGUF_LAYER_PARTS) as LayerPart[]).find((p) => GGUF_LAYER_PARTS[p] === m[2]);
  return part && `model.layers.${m[1]}.${part}.weight`;
}

/** The metadata heed writes for a Llama model, in llama.cpp's key names and types. */
export function llamaMetadata(config: LlamaConfig, vocab: GGUFVocab, opts: WriteGGUFOptions = {}): GGUFMetadata {
  const u32 = (value: number): GGUFValue => ({ type: 'uint32', value });
  const f32 = (value: number): GGUFValue => ({ type: 'float32', value });
  const md: GGUFMetadata = new Map();
  md.set('general.architecture', { type: 'string', value: 'llama' });
  if (opts.name !== undefined) md.set('general.name', { type: 'string', value: opts.name });
  if (opts.alignment !== undefined) md.set('general.alignment', u32(opts.alignment));
  md.set('general.file_type', u32(opts.dtype === 'F16' ? 1 : 0)); // LLAMA_FTYPE_ALL_F32 / MOSTLY_F16
  md.set('llama.vocab_size', u32(config.vocabSize));
  md.set('llama.context_length', u32(config.maxSeqLen));
  md.set('llama.embedding_length', u32(config.dim));
  md.set('llama.block_count', u32(config.nLayers));
  md.set('llama.feed_forward_length', u32(config.hiddenDim));
  md.set('llama.attention.head_count', u32(config.nHeads));
  md.set('llama.attention.head_count_kv', u32(config.nKvHeads));
  md.set('llama.rope.dimension_count', u32(headDim(config)));
  md.set('llama.rope.freq_base', f32(config.ropeTheta));
  md.set('llama.attention.layer_norm_rms_epsilon', f32(config.normEps));
  md.set('tokenizer.ggml.model', { type: 'string', value: 'llama' });
  md.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: [...vocab.tokens] });
  md.set('tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: [...vocab.scores] });
  md.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: [...vocab.types] });
  md.set('tokenizer.ggml.bos_token_id', u32(vocab.bos));
  md.set('tokenizer.ggml.eos_token_id', u32(vocab.eos));
  for (const [k, v] of opts.extraMetadata ?? []) {
    if (md.has(k)) throw new Error(`GGUF writer: extra metadata key ${k} is one heed writes itself`);
    md.set(k, v);
  }
  return md;
}

function checkVocab(config: LlamaConfig, v: GGUFVocab): void {
  const errs: string[] = [];
  if (v.tokens.length !== config.vocabSize) errs.push(`${v.tokens.length} tokens but vocabSize is ${config.vocabSize}`);
  if (v.scores.length !== v.tokens.length) errs.push(`${v.scores.length} scores for ${v.tokens.length} tokens`);
  if (v.types.length !== v.tokens.length) errs.push(`${v.types.length} token types for ${v.tokens.length} tokens`);
  for (const [k, id] of [
    ['bos', v.bos],
    ['eos', v.eos],
  ] as const) {
    if (!Number.isInteger(id) || id < 0 || id >= v.tokens.length) errs.push(`${k} id ${id} is not a token id`);
    // the reader refuses BOS/EOS ids that name anything but a control token; never write such a file
    else if (v.types[id] !== 3 && v.types[id] !== 4)
      errs.push(`${k} id ${id} (${JSON.stringify(v.tokens[id])}) has token type ${v.types[id]}, not control (3) or user-defined (4)`);
  }
  if (errs.length) throw new Error(`GGUF writer: vocabulary does not fit the model: ${errs.join('; ')}`);
}

/** The GGUF file as chunks. Weights in either layout; they are written interleaved. */
export function encodeLlamaGGUF(config: LlamaConfig, weights: NamedTensors, vocab: GGUFVocab, opts: WriteGGUFOptions = {}): Uint8Array[] {
  // llama.cpp carries llama3 scaling as a rope_freqs tensor of per-frequency divisors, not as its
  // parameters; heed writes neither that nor linear scaling keys, so a scaled model is refused.
  if (config.ropeScaling)
    throw new Error(
      `GGUF writer: RoPE scaling (${config.ropeScaling.type}) cannot be written to GGUF by heed; keep this model as an HF directory`,
    );
  const meta = toLayout(weights, config, 'interleaved');
  validateWeights(meta.weights, meta.config, 'GGUF writer');
  checkVocab(meta.config, vocab);
  const dtype = opts.dtype ?? 'F32';
  const tensors: GGUFTensor[] = [...expectedShapes(meta.config)].map(([name, shape]) => ({
    name: ggufName(name),
    shape,
    type: shape.length === 1 ? 'F32' : dtype,
    data: meta.weights.get(name)!.data,
  }));
  return encodeGGUF(llamaMetadata(meta.config, vocab, opts), tensors);
}

/** Writes atomically (path.tmp, then rename). */
export function writeGGUF(path: string, config: LlamaConfig, weights: NamedTensors, vocab: GGUFVocab, opts: WriteGGUFOptions = {}): void {
  writeFileAtomic(
    path,
    namingErrors(path, () => encodeLlamaGGUF(config, weights, vocab, opts)),
  );
}

/** The shortest decimal with the same float32 value: float32 keys (eps 1e-5) come back as written. */
function shortestF32(x: number): number {
  for (let p = 1; p <= 9; p++) {
    const y = Number(x.toPrecision(p));
    if (Math.fround(y) === x) return y;
  }
  return x;
}

export function parseLlamaGGUF(bytes: Uint8Array, file = '<buffer>'): GGUFModel {
  const fail = (m: string): never => {
    throw new Error(`${file}: ${m}`);
  };
  const g = parseGGUF(bytes, file);
  const md = g.metadata;
  const arch = md.get('general.architecture');
  if (arch?.type !== 'string' || arch.value !== 'llama')
    fail(
      `general.architecture is ${arch ? (arch.type === 'string' ? JSON.stringify(arch.value) : `a ${arch.type}`) : 'missing'}, expected "llama"`,
    );
  /** An integer key that sizes the model: any integer type, within int32 (what llama.cpp reads). */
  const int = (key: string, dflt?: number): number => {
    const v = md.get(key);
    if (!v) return dflt ?? fail(`missing metadata ${key}`);
    let n: number;
    switch (v.type) {
      case 'uint8':
      case 'int8':
      case 'uint16':
      case 'int16':
      case 'uint32':
      case 'int32':
        n = v.value;
        break;
      case 'uint64':
      case 'int64':
        n = v.value > 2n ** 31n || v.value < -(2n ** 31n) ? Infinity : Number(v.value);
        break;
      default:
        return fail(`metadata ${key} is ${v.type}, expected an integer`);
    }
    if (!(n >= 0 && n < 2 ** 31)) fail(`metadata ${key} = ${v.value} is out of range (0 to 2^31-1)`);
    return n;
  };
  const float = (key: string, dflt?: number): number => {
    const v = md.get(key);
    if (!v) return dflt ?? fail(`missing metadata ${key}`);
    if (v.type === 'float32') return shortestF32(v.value);
    if (v.type === 'float64') return v.value;
    return fail(`metadata ${key} is ${v.type}, expected a float`);
  };
  const arr = (key: string, itemType: 'string' | 'float32' | 'int32'): unknown[] | undefined => {
    const v = md.get(key);
    if (!v) return undefined;
    if (v.type !== 'array' || v.itemType !== itemType)
      return fail(
        `metadata ${key} is ${v.type === 'array' ? `an array of ${v.itemType}` : `a ${v.type}`}, expected an array of ${itemType}`,
      );
    return v.value;
  };

  // RoPE scaling in llama.cpp's keys (linear / yarn) or as a rope_freqs tensor (llama3): heed reads none of them
  const scalingType = md.get('llama.rope.scaling.type');
  if (scalingType && !(scalingType.type === 'string' && scalingType.value === 'none'))
    fail(
      `llama.rope.scaling.type ${scalingType.type === 'string' ? JSON.stringify(scalingType.value) : `(a ${scalingType.type})`} is not supported (heed reads unscaled RoPE from GGUF)`,
    );
  if (md.has('llama.rope.scale_linear') && float('llama.rope.scale_linear') !== 1)
    fail(`llama.rope.scale_linear ${float('llama.rope.scale_linear')} is not supported (heed reads unscaled RoPE from GGUF)`);
  if (g.tensors.some((t) => t.name === 'rope_freqs.weight'))
    fail('tensor rope_freqs.weight (per-frequency RoPE factors, Llama 3.1 scaling) is not supported');
  const weights: NamedTensors = new Map();
  for (const t of g.tensors) {
    const name = canonicalName(t.name);
    if (!name) fail(`tensor ${t.name} is not a Llama weight heed knows`);
    weights.set(name!, { shape: t.shape, data: t.data });
  }
  const tokModel = md.get('tokenizer.ggml.model');
  if (tokModel?.type !== 'string' || tokModel.value !== 'llama')
    fail(
      `tokenizer.ggml.model is ${tokModel ? (tokModel.type === 'string' ? JSON.stringify(tokModel.value) : `a ${tokModel.type}`) : 'missing'}; heed reads only "llama" (SentencePiece) vocabularies from GGUF`,
    );
  const tokens = (arr('tokenizer.ggml.tokens', 'string') ?? fail('missing metadata tokenizer.ggml.tokens (the vocabulary)')) as string[];
  const nHeads = int('llama.attention.head_count');
  const config: LlamaConfig = {
    dim: int('llama.embedding_length'),
    hiddenDim: int('llama.feed_forward_length'),
    nLayers: int('llama.block_count'),
    nHeads,
    nKvHeads: int('llama.attention.head_count_kv', nHeads),
    // llama.cpp sizes the vocabulary by the token list; llama.vocab_size, when present, must agree
    vocabSize: int('llama.vocab_size', tokens.length),
    maxSeqLen: int('llama.context_length'),
    ropeTheta: float('llama.rope.freq_base', 10000),
    ropeLayout: 'interleaved',
    normEps: float('llama.attention.layer_norm_rms_epsilon'),
    tiedEmbeddings: !weights.has(LM_HEAD),
  };
  if (tokens.length !== config.vocabSize)
    fail(`tokenizer.ggml.tokens holds ${tokens.length} tokens but llama.vocab_size is ${config.vocabSize}`);
  try {
    validateConfig(config);
  } catch (e) {
    fail((e as Error).message);
  }
  const rotDim = int('llama.rope.dimension_count', headDim(config));
  if (rotDim !== headDim(config))
    fail(`llama.rope.dimension_count ${rotDim} differs from the head dim ${headDim(config)} (partial RoPE is not supported)`);
  validateWeights(weights, config, file);
  // Some vocabularies carry no scores or types; llama.cpp then assumes 0 and "normal".
  const scores = (arr('tokenizer.ggml.scores', 'float32') ?? tokens.map(() => 0)) as number[];
  const types = (arr('tokenizer.ggml.token_type', 'int32') ?? tokens.map(() => 1)) as number[];
  if (scores.length !== tokens.length) fail(`tokenizer.ggml.scores holds ${scores.length} values for ${tokens.length} tokens`);
  if (types.length !== tokens.length) fail(`tokenizer.ggml.token_type holds ${types.length} values for ${tokens.length} tokens`);
  const badType = types.findIndex((t) => !(t >= 1 && t <= 6));
  if (badType >= 0) fail(`tokenizer.ggml.token_type[${badType}] is ${types[badType]}, not a token type (1..6)`);
  const badScore = scores.findIndex((x) => !Number.isFinite(x));
  if (badScore >= 0) fail(`tokenizer.ggml.scores[${badScore}] is ${scores[badScore]}`);
  const tokenId = (key: string): number => {
    const id = int(key);
    if (id >= tokens.length) fail(`metadata ${key} = ${id} is not a token id (the vocabulary has ${tokens.length})`);
    // BOS/EOS are control (or user-defined) tokens in every SentencePiece vocabulary; an id naming
    // an ordinary piece or a byte means the field was changed
    if (types[id] !== 3 && types[id] !== 4)
      fail(`metadata ${key} = ${id} names ${JSON.stringify(tokens[id])} of token type ${types[id]}, not a control token (type 3 or 4)`);
    return id;
  };
  const vocab: GGUFVocab = {
    tokens,
    scores,
    types,
    bos: tokenId('tokenizer.ggml.bos_token_id'),
    eos: tokenId('tokenizer.ggml.eos_token_id'),
  };
  return { config, weights, vocab, metadata: md };
}

/** Reads a Llama GGUF file; weights come back with canonical names in the interleaved layout. */
export function readGGUF(path: string): GGUFModel {
  return parseLlamaGGUF(readFileBytes(path, 'GGUF file'), path);
}
