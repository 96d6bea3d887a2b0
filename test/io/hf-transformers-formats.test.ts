// RoPE scaling outside HF directories: GGUF and llama2.c cannot carry heed's scaled models, so
// writers refuse them and the GGUF reader refuses llama.cpp's scaling keys and tensors rather
// than load a model with the wrong positions.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { concatChunks } from '../../src/io/binary.ts';
import type { GGUFValue, GGUFVocab } from '../../src/io/gguf.ts';
import { encodeGGUF, encodeLlamaGGUF, ggufName, llamaMetadata, parseLlamaGGUF } from '../../src/io/gguf.ts';
import { loadHF, saveHF } from '../../src/io/hfconfig.ts';
import { encodeLlama2c } from '../../src/io/llama2c.ts';
import { expectedShapes, toLayout } from '../../src/io/weights.ts';
import type { RopeScaling } from '../../src/nn/config.ts';
import { expectSameWeights, randomWeights, tempDir, tinyConfig } from './fixtures.ts';

const vocab = (n: number): GGUFVocab => ({
  tokens: Array.from({ length: n }, (_, i) => `t${i}`),
  scores: new Array<number>(n).fill(0),
  types: Array.from({ length: n }, (_, i) => (i === 1 || i === 2 ? 3 : 1)), // BOS and EOS are control tokens
  bos: 1,
  eos: 2,
});
const llama3: RopeScaling = { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 };
const dir = tempDir();

describe('RoPE scaling and the other checkpoint formats', () => {
  it('saveHF / loadHF keep a scaled model, weights and scaling', () => {
    for (const ropeScaling of [llama3, { type: 'linear', factor: 2 } as const]) {
      const c = tinyConfig({ ropeScaling, ropeTheta: 500000 });
      const w = randomWeights(c, 3);
      const d = join(dir, ropeScaling.type);
      saveHF(d, c, w);
      const back = loadHF(d, 'interleaved');
      expect(back.config).toEqual(c);
      expectSameWeights(back.weights, w);
    }
  });

  it('the GGUF writer refuses a scaled model', () => {
    const c = tinyConfig({ ropeScaling: llama3 });
    expect(() => encodeLlamaGGUF(c, randomWeights(c), vocab(c.vocabSize))).toThrow(
      'GGUF writer: RoPE scaling (llama3) cannot be written to GGUF by heed',
    );
  });

  it('the llama2.c writer refuses a scaled model', () => {
    const c = tinyConfig({ ropeScaling: { type: 'linear', factor: 2 } });
    expect(() => encodeLlama2c({ config: c, weights: randomWeights(c) })).toThrow('llama2.c format cannot carry RoPE scaling (linear)');
  });

  it("the GGUF reader refuses llama.cpp's scaling keys and the rope_freqs tensor, naming the file and key", () => {
    const c = tinyConfig();
    const w = randomWeights(c);
    const withMeta = (k: string, v: GGUFValue) =>
      concatChunks(encodeLlamaGGUF(c, w, vocab(c.vocabSize), { extraMetadata: new Map([[k, v]]) }));
    expect(() => parseLlamaGGUF(withMeta('llama.rope.scaling.type', { type: 'string', value: 'linear' }), 'm.gguf')).toThrow(
      'm.gguf: llama.rope.scaling.type "linear" is not supported (heed reads unscaled RoPE from GGUF)',
    );
    expect(() => parseLlamaGGUF(withMeta('llama.rope.scale_linear', { type: 'float32', value: 0.25 }), 'm.gguf')).toThrow(
      'm.gguf: llama.rope.scale_linear 0.25 is not supported',
    );
    // the harmless values still load
    expect(parseLlamaGGUF(withMeta('llama.rope.scaling.type', { type: 'string', value: 'none' })).config.ropeScaling).toBeUndefined();
    expect(parseLlamaGGUF(withMeta('llama.rope.scale_linear', { type: 'float32', value: 1 })).config.ropeTheta).toBe(10000);

    const il = toLayout(w, c, 'interleaved').weights;
    const tensors = [...expectedShapes(c)].map(([name, shape]) => ({
      name: ggufName(name),
      shape,
      type: 'F32' as const,
      data: il.get(name)!.data,
    }));
    tensors.push({ name: 'rope_freqs.weight', shape: [2], type: 'F32', data: new Float32Array([1, 8]) });
    expect(() => parseLlamaGGUF(concatChunks(encodeGGUF(llamaMetadata(c, vocab(c.vocabSize)), tensors)), 'm.gguf')).toThrow(
      'm.gguf: tensor rope_freqs.weight (per-frequency RoPE factors, Llama 3.1 scaling) is not supported',
    );
  });
});
