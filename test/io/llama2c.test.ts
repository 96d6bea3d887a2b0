import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatChunks } from '../../src/io/binary.ts';
import { encodeLlama2c, llama2cFileSize, parseLlama2c, readLlama2c, writeLlama2c } from '../../src/io/llama2c.ts';
import { layerName, paramCount, toLayout } from '../../src/io/weights.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { arbConfig, expectSameWeights, randomWeights, tempDir, tinyConfig } from './fixtures.ts';

const STORIES = dataPath('llama2c-stories260K', 'stories260K.bin');
const dir = tempDir();

describe('llama2.c reader on stories260K', () => {
  const ckpt = readLlama2c(STORIES);

  it('decodes the documented header and defaults', () => {
    expect(ckpt.config).toEqual({
      dim: 64,
      hiddenDim: 172,
      nLayers: 5,
      nHeads: 8,
      nKvHeads: 4,
      vocabSize: 512,
      maxSeqLen: 512,
      ropeTheta: 10000,
      ropeLayout: 'interleaved',
      normEps: 1e-5,
      tiedEmbeddings: true,
    });
  });

  it('has 260,032 parameters, tied (no lm_head), and the documented shapes', () => {
    expect(paramCount(ckpt.weights)).toBe(260_032);
    expect(ckpt.weights.has('lm_head.weight')).toBe(false);
    expect(ckpt.weights.get('model.embed_tokens.weight')!.shape).toEqual([512, 64]);
    expect(ckpt.weights.get(layerName(4, 'self_attn.k_proj'))!.shape).toEqual([32, 64]);
    expect(ckpt.weights.get(layerName(0, 'mlp.down_proj'))!.shape).toEqual([64, 172]);
    expect(ckpt.freqCis!.length).toBe(2 * 512 * 4);
  });

  it('reads tensors from the right offsets', () => {
    const raw = readFileSync(STORIES);
    const f32At = (floatIndex: number): number => raw.readFloatLE(28 + 4 * floatIndex);
    expect(ckpt.weights.get('model.embed_tokens.weight')!.data[0]).toBe(f32At(0));
    // rms_att of layer 0 follows the 512×64 embedding.
    expect(ckpt.weights.get(layerName(0, 'input_layernorm'))!.data[3]).toBe(f32At(512 * 64 + 3));
    // rms_final is the last real parameter before freq_cis.
    expect(ckpt.weights.get('model.norm.weight')!.data[63]).toBe(f32At(260_032 - 1));
    // freq_cis_real[pos=1][i=0] = cos(1).
    expect(ckpt.freqCis![4]).toBeCloseTo(Math.cos(1), 6);
  });

  it('write → bytes identical to the original file', () => {
    const out = join(dir, 'stories260K.copy.bin');
    writeLlama2c(out, ckpt);
    expect(Buffer.compare(readFileSync(out), readFileSync(STORIES))).toBe(0);
  });

  it('writes the same bytes from the half layout (converted back to interleaved)', () => {
    const half = toLayout(ckpt.weights, ckpt.config, 'half');
    const bytes = concatChunks(encodeLlama2c({ ...half, freqCis: ckpt.freqCis! }));
    expect(Buffer.compare(Buffer.from(bytes), readFileSync(STORIES))).toBe(0);
  });
});

describe('llama2.c round trips on synthetic models', () => {
  it('write → read → write is lossless and byte-stable (property; tied and untied)', () => {
    fc.assert(
      fc.property(arbConfig, fc.integer({ min: 1, max: 99 }), (c0, seed) => {
        const config = { ...c0, ropeTheta: 10000, normEps: 1e-5, ropeLayout: 'interleaved' as const };
        const weights = randomWeights(config, seed);
        const bytes = concatChunks(encodeLlama2c({ config, weights }));
        expect(bytes.length).toBe(llama2cFileSize(config));
        // Untied files flag the classifier with a negative vocab_size.
        expect(new DataView(bytes.buffer).getInt32(20, true)).toBe(config.tiedEmbeddings ? config.vocabSize : -config.vocabSize);
        const back = parseLlama2c(bytes, 'mem.bin');
        expect(back.config).toEqual(config);
        expectSameWeights(back.weights, weights);
        expect(Buffer.compare(Buffer.from(concatChunks(encodeLlama2c(back))), Buffer.from(bytes))).toBe(0);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a theta or eps the format cannot store', () => {
    const c = tinyConfig({ normEps: 1e-6 });
    expect(() => encodeLlama2c({ config: c, weights: randomWeights(c) })).toThrow(
      /fixes rope theta 10000 and norm eps 0\.00001; this model has 10000 and 0\.000001$/,
    );
  });
});

describe('llama2.c reader errors', () => {
  const good = readFileSync(STORIES);

  it('names the file, the expected and the actual size when truncated or padded', () => {
    for (const cut of [28, 1000, 500_000, good.length - 4, good.length - 1]) {
      const p = join(dir, `cut${cut}.bin`);
      writeFileSync(p, good.subarray(0, cut));
      expect(() => readLlama2c(p)).toThrow(
        `${p}: size mismatch: header (dim=64, hidden_dim=172, n_layers=5, n_heads=8, n_kv_heads=4, seq_len=512, vocab_size=512) implies 1056540 bytes, file has ${cut}`,
      );
    }
    const longer = Buffer.concat([good, Buffer.alloc(4)]);
    expect(() => parseLlama2c(longer, 'long.bin')).toThrow(/^long\.bin: size mismatch: .* implies 1056540 bytes, file has 1056544$/);
  });

  it('rejects a file shorter than the header', () => {
    expect(() => parseLlama2c(good.subarray(0, 10), 'tiny.bin')).toThrow(
      'tiny.bin: not a llama2.c checkpoint: 10 bytes is shorter than the 28-byte header',
    );
  });

  it('rejects non-positive and inconsistent header values', () => {
    const h = Buffer.from(good.subarray(0, 28));
    h.writeInt32LE(0, 8); // n_layers
    h.writeInt32LE(-3, 16); // n_kv_heads
    expect(() => parseLlama2c(h, 'bad.bin')).toThrow('bad.bin: invalid llama2.c header: n_layers=0, n_kv_heads=-3 must be positive');
    const g = Buffer.from(good.subarray(0, 28));
    g.writeInt32LE(3, 16); // 8 heads not a multiple of 3 kv heads
    expect(() => parseLlama2c(g, 'gqa.bin')).toThrow(
      /^gqa\.bin: header \(.*n_kv_heads=3.*\): invalid Llama config: nHeads=8 is not a multiple of nKvHeads=3/,
    );
  });
});
