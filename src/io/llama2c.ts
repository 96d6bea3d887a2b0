// llama2.c legacy `.bin` checkpoints (version 0 of export.py): a 7×int32 header followed by float32
// weights in a fixed order. The format stores no theta or eps: run.c hard-codes 10000 and 1e-5, and
// RoPE rotates interleaved pairs (2i, 2i+1).
import type { LlamaConfig } from '../nn/config.ts';
import { headDim, validateConfig } from '../nn/config.ts';
import { ByteReader, f32Bytes, f32FromBytes } from './binary.ts';
import { namingErrors, readFileBytes, writeFileAtomic } from './files.ts';
import type { LayerPart, NamedTensors } from './weights.ts';
import { EMBED, FINAL_NORM, LM_HEAD, checkFinite, expectedShapes, layerName, numel, toLayout, validateWeights } from './weights.ts';

export const LLAMA2C_THETA = 10000;
export const LLAMA2C_EPS = 1e-5;
const HEADER_BYTES = 7 * 4;

export interface Llama2cCheckpoint {
  config: LlamaConfig;
  weights: NamedTensors;
  /** The legacy freq_cis_real then freq_cis_imag block ([2, seqLen, headDim/2]) run.c ignores; kept
   *  so a read → write round trip is byte-identical (recomputing it does not reproduce torch's float32 trig). */
  freqCis?: Float32Array;
}

/** Canonical names in the file's order, excluding the final classifier. */
function legacyOrder(c: LlamaConfig): string[] {
  const perLayer = (p: LayerPart): string[] => Array.from({ length: c.nLayers }, (_, i) => layerName(i, p));
  return [
    EMBED,
    ...perLayer('input_layernorm'), // rms_att
    ...perLayer('self_attn.q_proj'), // wq
    ...perLayer('self_attn.k_proj'), // wk
    ...perLayer('self_attn.v_proj'), // wv
    ...perLayer('self_attn.o_proj'), // wo
    ...perLayer('post_attention_layernorm'), // rms_ffn
    ...perLayer('mlp.gate_proj'), // w1
    ...perLayer('mlp.down_proj'), // w2
    ...perLayer('mlp.up_proj'), // w3
    FINAL_NORM, // rms_final
  ];
}

function freqCisCount(c: LlamaConfig): number {
  return 2 * c.maxSeqLen * (headDim(c) / 2);
}

/** Bytes a checkpoint with this config occupies (arithmetic only: safe for absurd headers). */
export function llama2cFileSize(c: LlamaConfig): number {
  const kvDim = headDim(c) * c.nKvHeads;
  const perLayer = 2 * c.dim + 2 * c.dim * c.dim + 2 * kvDim * c.dim + 3 * c.hiddenDim * c.dim;
  const floats = c.vocabSize * c.dim * (c.tiedEmbeddings ? 1 : 2) + c.nLayers * perLayer + c.dim + freqCisCount(c);
  return HEADER_BYTES + 4 * floats;
}

/**
 * How far a stored freq_cis value may be from heed's recomputation: torch computes the angle in
 * float32, so it can differ by a few ulps of pos * freq. A header with another head dim or sequence
 * length gives differences of order 1 (a different table), far above this.
 */
function freqCisTolerance(pos: number): number {
  return 1e-4 + pos * 1e-6;
}

/** Refuses a header whose head dim or seq_len disagrees with the RoPE table export.py stored. */
function checkFreqCis(stored: Float32Array, c: LlamaConfig, header: string, fail: (m: string) => never): void {
  const want = computeFreqCis(c);
  const half = headDim(c) / 2;
  for (let k = 0; k < want.length; k++) {
    const inImag = k >= c.maxSeqLen * half;
    const pos = Math.floor((inImag ? k - c.maxSeqLen * half : k) / half);
    const diff = Math.abs(stored[k]! - want[k]!);
    if (!(diff <= freqCisTolerance(pos)))
      fail(
        `the stored RoPE table (freq_cis) does not match the header (${header}): freq_cis_${inImag ? 'imag' : 'real'}[pos ${pos}, ${k % half}] is ${stored[k]}, head dim ${headDim(c)} and theta ${LLAMA2C_THETA} give ${want[k]}; a header field was changed`,
      );
  }
}

export function parseLlama2c(bytes: Uint8Array, file = '<buffer>'): Llama2cCheckpoint {
  const r = new ByteReader(bytes, file);
  if (bytes.length < HEADER_BYTES) r.fail(`not a llama2.c checkpoint: ${bytes.length} bytes is shorter than the 28-byte header`);
  const [dim, hiddenDim, nLayers, nHeads, nKvHeads, rawVocab, seqLen] = Array.from({ length: 7 }, (_, k) => r.i32(`header field ${k}`)) as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const header = { dim, hidden_dim: hiddenDim, n_layers: nLayers, n_heads: nHeads, n_kv_heads: nKvHeads, seq_len: seqLen };
  const headerText = `${Object.entries(header)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ')}, vocab_size=${rawVocab}`;
  const bad = Object.entries(header).filter(([, v]) => v <= 0);
  if (bad.length || rawVocab === 0 || rawVocab === -(2 ** 31))
    r.fail(
      `invalid llama2.c header: ${[...bad.map(([k, v]) => `${k}=${v}`), ...(rawVocab === 0 || rawVocab === -(2 ** 31) ? [`vocab_size=${rawVocab}`] : [])].join(', ')} must be positive`,
    );
  const config: LlamaConfig = {
    dim,
    hiddenDim,
    nLayers,
    nHeads,
    nKvHeads,
    vocabSize: Math.abs(rawVocab),
    maxSeqLen: seqLen,
    ropeTheta: LLAMA2C_THETA,
    ropeLayout: 'interleaved',
    normEps: LLAMA2C_EPS,
    tiedEmbeddings: rawVocab > 0, // negative vocab_size flags a separate classifier
  };
  try {
    validateConfig(config);
  } catch (e) {
    r.fail(`header (${headerText}): ${(e as Error).message}`);
  }
  // Validate-then-allocate: the header must account for the file's exact length before any tensor is built.
  const expected = llama2cFileSize(config);
  if (bytes.length !== expected) {
    // the sign of vocab_size is the shared-classifier flag: say so when only it disagrees with the size
    const flipped = llama2cFileSize({ ...config, tiedEmbeddings: !config.tiedEmbeddings });
    const flag =
      bytes.length === flipped
        ? `; the file's size fits ${config.tiedEmbeddings ? 'a separate classifier (negative vocab_size)' : 'a classifier shared with the embedding (positive vocab_size)'}, so the shared-weights flag is wrong`
        : '';
    r.fail(`size mismatch: header (${headerText}) implies ${expected} bytes, file has ${bytes.length}${flag}`);
  }

  const shapes = expectedShapes(config);
  const weights: NamedTensors = new Map();
  const readTensor = (name: string): void => {
    const shape = shapes.get(name)!;
    const n = numel(shape);
    weights.set(name, { shape, data: f32FromBytes(bytes, r.take(4 * n, name), n) });
  };
  for (const name of legacyOrder(config)) readTensor(name);
  const nFreq = freqCisCount(config);
  const freqCis = f32FromBytes(bytes, r.take(4 * nFreq, 'freq_cis'), nFreq);
  checkFreqCis(freqCis, config, headerText, (m) => r.fail(m));
  if (!config.tiedEmbeddings) readTensor(LM_HEAD);
  checkFinite(weights, file);
  return { config, weights, freqCis };
}

export function readLlama2c(path: string): Llama2cCheckpoint {
  return parseLlama2c(readFileBytes(path, 'llama2.c checkpoint'), path);
}

/** The freq_cis block as export.py computes it (float32 math emulated; may differ in the last bit). */
function computeFreqCis(c: LlamaConfig): Float32Array {
  const hd = headDim(c);
  const half = hd / 2;
  const out = new Float32Array(2 * c.maxSeqLen * half);
  const f = Math.fround;
  for (let i = 0; i < half; i++) {
    const freq = f(1 / f(Math.pow(c.ropeTheta, f((2 * i) / hd))));
    for (let pos = 0; pos < c.maxSeqLen; pos++) {
      const a = f(pos * freq);
      out[pos * half + i] = Math.cos(a);
      out[c.maxSeqLen * half + pos * half + i] = Math.sin(a);
    }
  }
  return out;
}

/** The file as chunks (tensor chunks are views of the weights, not copies). */
export function encodeLlama2c(ckpt: Llama2cCheckpoint): Uint8Array[] {
  const { config: c0, weights: w0 } = ckpt;
  if (c0.ropeScaling) throw new Error(`llama2.c format cannot carry RoPE scaling (${c0.ropeScaling.type}); this model has it`);
  if (c0.ropeTheta !== LLAMA2C_THETA || c0.normEps !== LLAMA2C_EPS)
    throw new Error(
      `llama2.c format fixes rope theta ${LLAMA2C_THETA} and norm eps ${LLAMA2C_EPS}; this model has ${c0.ropeTheta} and ${c0.normEps}`,
    );
  const { config, weights } = toLayout(w0, c0, 'interleaved');
  validateWeights(weights, config, 'llama2.c writer');
  const header = new Int32Array([
    config.dim,
    config.hiddenDim,
    config.nLayers,
    config.nHeads,
    config.nKvHeads,
    config.tiedEmbeddings ? config.vocabSize : -config.vocabSize,
    config.maxSeqLen,
  ]);
  const freqCis = ckpt.freqCis ?? computeFreqCis(config);
  if (freqCis.length !== freqCisCount(config))
    throw new Error(`llama2.c writer: freqCis has ${freqCis.length} values, config needs ${freqCisCount(config)}`);
  const chunks = [new Uint8Array(header.buffer), ...legacyOrder(config).map((n) => f32Bytes(weights.get(n)!.data))];
  chunks.push(f32Bytes(freqCis));
  if (!config.tiedEmbeddings) chunks.push(f32Bytes(weights.get(LM_HEAD)!.data));
  return chunks;
}

/** Writes atomically; q/k are converted to the interleaved layout if the config says 'half'. */
export function writeLlama2c(path: string, ckpt: Llama2cCheckpoint): void {
  writeFileAtomic(
    path,
    namingErrors(path, () => encodeLlama2c(ckpt)),
  );
}
