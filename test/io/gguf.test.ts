import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatChunks } from '../../src/io/binary.ts';
import type { GGUFArray, GGUFMetadata, GGUFValue, GGUFVocab } from '../../src/io/gguf.ts';
import {
  canonicalName,
  encodeGGUF,
  encodeLlamaGGUF,
  ggufName,
  llamaMetadata,
  parseGGUF,
  parseLlamaGGUF,
  readGGUF,
  writeGGUF,
} from '../../src/io/gguf.ts';
import { f16ToF32, f32ToF16 } from '../../src/io/halfFloat.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { expectedShapes, layerName, toLayout } from '../../src/io/weights.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { arbConfig, expectSameWeights, randomWeights, tempDir, tinyConfig } from './fixtures.ts';

const dir = tempDir();

function vocabFor(n: number): GGUFVocab {
  const bos = Math.min(1, n - 1);
  const eos = Math.min(2, n - 1);
  return {
    tokens: Array.from({ length: n }, (_, i) => (i === 0 ? '<unk>' : `tok${i}▁é`)),
    scores: Array.from({ length: n }, (_, i) => -i),
    // BOS and EOS are control tokens (the reader refuses ids naming anything else)
    types: Array.from({ length: n }, (_, i) => (i === bos || i === eos ? 3 : i === 0 ? 2 : 1)),
    bos,
    eos,
  };
}

/** tok512.bin as llama2.c writes it: int32 max length, then (f32 score, int32 length, bytes) per token. */
function readTok512(): GGUFVocab {
  const b = readFileSync(dataPath('llama2c-stories260K', 'tok512.bin'));
  const tokens: string[] = [];
  const scores: number[] = [];
  let at = 4;
  for (let i = 0; i < 512; i++) {
    scores.push(b.readFloatLE(at));
    const len = b.readInt32LE(at + 4);
    tokens.push(b.subarray(at + 8, at + 8 + len).toString('utf8'));
    at += 8 + len;
  }
  const types = tokens.map((_, i) => (i === 0 ? 2 : i <= 2 ? 3 : i <= 258 ? 6 : 1));
  return { tokens, scores, types, bos: 1, eos: 2 };
}

// ---- metadata of every type ----
type Scalar = Exclude<GGUFValue, GGUFArray>;
const scalarArbs: Record<Scalar['type'], fc.Arbitrary<Scalar>> = {
  uint8: fc.integer({ min: 0, max: 255 }).map((value) => ({ type: 'uint8', value })),
  int8: fc.integer({ min: -128, max: 127 }).map((value) => ({ type: 'int8', value })),
  uint16: fc.integer({ min: 0, max: 65535 }).map((value) => ({ type: 'uint16', value })),
  int16: fc.integer({ min: -32768, max: 32767 }).map((value) => ({ type: 'int16', value })),
  uint32: fc.integer({ min: 0, max: 2 ** 32 - 1 }).map((value) => ({ type: 'uint32', value })),
  int32: fc.integer().map((value) => ({ type: 'int32', value })),
  float32: fc.float().map((value) => ({ type: 'float32', value })),
  float64: fc.double().map((value) => ({ type: 'float64', value })),
  uint64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map((value) => ({ type: 'uint64', value })),
  int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((value) => ({ type: 'int64', value })),
  bool: fc.boolean().map((value) => ({ type: 'bool', value })),
  string: fc.string({ unit: 'binary', maxLength: 12 }).map((value) => ({ type: 'string', value })),
};
const scalarTypes = Object.keys(scalarArbs) as Scalar['type'][];

function arrayOf(itemType: Scalar['type']): fc.Arbitrary<GGUFArray> {
  return fc
    .array(scalarArbs[itemType], { maxLength: 5 })
    .map((items) => ({ type: 'array', itemType, value: items.map((s) => s.value) }) as GGUFArray);
}
const arbArray: fc.Arbitrary<GGUFArray> = fc.constantFrom(...scalarTypes).chain(arrayOf);
const arbNested: fc.Arbitrary<GGUFArray> = fc
  .array(arbArray, { maxLength: 3 })
  .map((value) => ({ type: 'array', itemType: 'array', value }));
const arbValue: fc.Arbitrary<GGUFValue> = fc.oneof(...Object.values(scalarArbs), arbArray, arbNested);
const arbExtra: fc.Arbitrary<GGUFMetadata> = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^test\.[a-z_]{1,8}$/), arbValue), { selector: ([k]) => k, maxLength: 8 })
  .map((kvs) => new Map(kvs));
const everyType: GGUFMetadata = new Map([
  ...scalarTypes.map((t): [string, GGUFValue] => [`all.${t}`, fc.sample(scalarArbs[t], { numRuns: 1, seed: 3 })[0]!]),
  ...scalarTypes.map((t): [string, GGUFValue] => [`all.array.${t}`, fc.sample(arrayOf(t), { numRuns: 1, seed: 4 })[0]!]),
  [
    'all.nested',
    {
      type: 'array',
      itemType: 'array',
      value: [
        { type: 'array', itemType: 'string', value: ['a', 'b'] },
        { type: 'array', itemType: 'uint64', value: [2n ** 64n - 1n] },
      ],
    },
  ],
  ['all.empty', { type: 'array', itemType: 'float64', value: [] }],
]);

/** What the file holds for written metadata: float32 values at float32 precision (eps 1e-5 is not exact). */
function asFloat32(md: GGUFMetadata): GGUFMetadata {
  const round = (v: GGUFValue): GGUFValue =>
    v.type === 'float32'
      ? { type: 'float32', value: Math.fround(v.value) }
      : v.type === 'array' && v.itemType === 'float32'
        ? { ...v, value: v.value.map(Math.fround) }
        : v.type === 'array' && v.itemType === 'array'
          ? { ...v, value: v.value.map((a) => round(a) as GGUFArray) }
          : v;
  return new Map([...md].map(([k, v]) => [k, round(v)]));
}

describe('GGUF round trips', () => {
  it('write → read is lossless: config, weights, vocab and metadata of every type (property)', () => {
    fc.assert(
      fc.property(
        arbConfig,
        fc.integer({ min: 1, max: 50 }),
        arbExtra,
        fc.option(fc.constantFrom(8, 32, 64)),
        (config, seed, extra, alignment) => {
          const weights = randomWeights(config, seed);
          const vocab = vocabFor(config.vocabSize);
          const opts = { extraMetadata: new Map([...everyType, ...extra]), name: 'tiny', ...(alignment ? { alignment } : {}) };
          const bytes = concatChunks(encodeLlamaGGUF(config, weights, vocab, opts));
          const back = parseLlamaGGUF(bytes, 'mem.gguf');
          expect(back.config).toEqual({ ...config, ropeLayout: 'interleaved' });
          expectSameWeights(back.weights, toLayout(weights, config, 'interleaved').weights);
          expect(back.vocab).toEqual(vocab);
          expect(back.metadata).toEqual(asFloat32(llamaMetadata({ ...config, ropeLayout: 'interleaved' }, vocab, opts)));
          expect(parseGGUF(bytes, 'mem.gguf').alignment).toBe(alignment ?? 32);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('stories260K with its real vocabulary survives write → read; q/k stay interleaved', () => {
    const { config, weights } = readLlama2c(dataPath('llama2c-stories260K', 'stories260K.bin'));
    const vocab = readTok512();
    const p = join(dir, 'stories260K.gguf');
    // Written from the half layout: the writer converts back to the interleaved layout llama.cpp expects.
    const half = toLayout(weights, config, 'half');
    writeGGUF(p, half.config, half.weights, vocab);
    const back = readGGUF(p);
    expect(back.config).toEqual(config);
    expectSameWeights(back.weights, weights);
    expect(back.vocab.tokens.slice(0, 4)).toEqual(['<unk>', '\n<s>\n', '\n</s>\n', '<0x00>']);
    expect(back.vocab).toEqual({ ...vocab, scores: vocab.scores.map(Math.fround) });
    const g = parseGGUF(readFileSync(p), p);
    expect(g.tensors.map((t) => t.name).slice(0, 4)).toEqual([
      'token_embd.weight',
      'blk.0.attn_norm.weight',
      'blk.0.attn_q.weight',
      'blk.0.attn_k.weight',
    ]);
    expect(g.tensors.find((t) => t.name === 'blk.0.ffn_down.weight')!.shape).toEqual([64, 172]);
  });

  it('F16 stores matrices in half precision and keeps norms F32', () => {
    const c = tinyConfig({ tiedEmbeddings: false });
    const w = randomWeights(c, 9);
    const bytes = concatChunks(encodeLlamaGGUF(c, w, vocabFor(c.vocabSize), { dtype: 'F16' }));
    const g = parseGGUF(bytes, 'f16.gguf');
    for (const t of g.tensors) expect(t.type).toBe(t.shape.length === 1 ? 'F32' : 'F16');
    expect(g.metadata.get('general.file_type')).toEqual({ type: 'uint32', value: 1 });
    const back = parseLlamaGGUF(bytes, 'f16.gguf');
    for (const [name, t] of w) {
      const want = t.shape.length === 1 ? t.data : t.data.map((x) => f16ToF32(f32ToF16(x)));
      expect(back.weights.get(name)!.data).toEqual(want);
    }
  });

  it('maps every canonical name to a GGUF name and back', () => {
    const c = tinyConfig({ tiedEmbeddings: false });
    for (const name of expectedShapes(c).keys()) expect(canonicalName(ggufName(name))).toBe(name);
    expect(ggufName(layerName(1, 'self_attn.o_proj'))).toBe('blk.1.attn_output.weight');
    expect(ggufName('lm_head.weight')).toBe('output.weight');
    expect(canonicalName('blk.0.attn_qkv.weight')).toBeUndefined();
  });
});

describe('GGUF layout agrees with a hand decoding', () => {
  it('header, metadata, reversed dims, aligned data', () => {
    const c = tinyConfig();
    const w = randomWeights(c, 2);
    const b = Buffer.from(concatChunks(encodeLlamaGGUF(c, w, vocabFor(c.vocabSize))));
    expect(b.subarray(0, 4).toString('latin1')).toBe('GGUF');
    expect(b.readUInt32LE(4)).toBe(3);
    const nTensors = Number(b.readBigUInt64LE(8));
    const nKv = Number(b.readBigUInt64LE(16));
    expect(nTensors).toBe(expectedShapes(c).size);
    let at = 24;
    const str = (): string => {
      const n = Number(b.readBigUInt64LE(at));
      const s = b.subarray(at + 8, at + 8 + n).toString('utf8');
      at += 8 + n;
      return s;
    };
    // First KV: general.architecture, type 8 (string) = "llama".
    expect(str()).toBe('general.architecture');
    expect(b.readUInt32LE(at)).toBe(8);
    at += 4;
    expect(str()).toBe('llama');
    // Skip the remaining KVs with the container reader, then hand-decode the first tensor info.
    const kvs = [...parseGGUF(b, 'x').metadata.keys()];
    expect(kvs.length).toBe(nKv);
    expect(kvs).toContain('llama.attention.layer_norm_rms_epsilon');
    const embdInfo = b.indexOf(Buffer.from('token_embd.weight')) - 8;
    at = embdInfo;
    expect(str()).toBe('token_embd.weight');
    expect(b.readUInt32LE(at)).toBe(2); // n_dims
    expect([Number(b.readBigUInt64LE(at + 4)), Number(b.readBigUInt64LE(at + 12))]).toEqual([c.dim, c.vocabSize]); // ne[0] = in
    expect(b.readUInt32LE(at + 20)).toBe(0); // GGML_TYPE_F32
    expect(Number(b.readBigUInt64LE(at + 24))).toBe(0); // first tensor at data offset 0
    // Data starts at the first 32-byte boundary after the last tensor info, token_embd first.
    const lastName = 'output_norm.weight';
    const lastInfo = b.lastIndexOf(Buffer.from(lastName)) + lastName.length + 4 + 8 + 4 + 8;
    const dataStart = Math.ceil(lastInfo / 32) * 32;
    expect(b.readFloatLE(dataStart + 4 * 3)).toBe(w.get('model.embed_tokens.weight')!.data[3]);
  });
});

describe('GGUF errors name the file and the problem', () => {
  const c = tinyConfig();
  const good = Buffer.from(concatChunks(encodeLlamaGGUF(c, randomWeights(c), vocabFor(c.vocabSize))));

  it('wrong magic and unsupported version', () => {
    const bad = Buffer.from(good);
    bad.write('GGML', 0, 'latin1');
    expect(() => parseGGUF(bad, 'm.gguf')).toThrow('m.gguf: not a GGUF file: magic is [47 47 4d 4c], expected "GGUF" (47 47 55 46)');
    const v = Buffer.from(good);
    v.writeUInt32LE(7, 4);
    expect(() => parseGGUF(v, 'v.gguf')).toThrow('v.gguf: unsupported GGUF version 7 (supported: 2, 3)');
  });

  it('truncated at several points', () => {
    const p = join(dir, 'cut.gguf');
    const cases: [number, RegExp][] = [
      [0, /not a GGUF file: magic is \[\]/],
      [3, /not a GGUF file: magic is \[47 47 55\]/],
      [12, /truncated: tensor count needs 8 bytes at offset 8, only 4 left \(file is 12 bytes\)/],
      [60, /truncated or corrupt: metadata count \d+ cannot fit|truncated: metadata/],
      [400, /truncated: metadata key #\d+ needs \d+ bytes at offset \d+, only \d+ left \(file is 400 bytes\)/],
      [
        good.indexOf('tokenizer.ggml.tokens') + 21 + 4 + 4 + 8 + 5,
        /truncated: metadata tokenizer\.ggml\.tokens claims 10 string items, only 5 bytes left/,
      ],
      [good.length - 700, /truncated: tensor [\w.]+ needs data bytes/],
      [good.length - 1, /truncated: tensor output_norm\.weight needs data bytes \[\d+, \d+\) but the data section has \d+ bytes/],
    ];
    for (const [cut, re] of cases) {
      writeFileSync(p, good.subarray(0, cut));
      expect(() => readGGUF(p)).toThrow(new RegExp(`^${p.replace(/[.\\/]/g, '\\$&')}: ${re.source}`));
    }
  });

  it('corrupt lengths, quantized types, misaligned offsets, foreign architectures', () => {
    const md: GGUFMetadata = new Map([['general.architecture', { type: 'string', value: 'llama' }]]);
    const one = (type: 'F32' | 'F16'): Buffer =>
      Buffer.from(concatChunks(encodeGGUF(md, [{ name: 'w', shape: [2], type, data: new Float32Array(2) }])));
    const q = one('F32');
    const infoType = q.indexOf(Buffer.from('w'), 24) + 1 + 4 + 8;
    q.writeUInt32LE(2, infoType); // GGML_TYPE_Q4_0
    expect(() => parseGGUF(q, 'q.gguf')).toThrow(
      'q.gguf: tensor w: ggml type 2 is not supported (only F32, F16, BF16; quantized types are not)',
    );
    const mis = one('F32');
    mis.writeBigUInt64LE(4n, infoType + 4);
    expect(() => parseGGUF(mis, 'o.gguf')).toThrow('o.gguf: tensor w: offset 4 is not a multiple of the alignment 32');
    const longStr = one('F32');
    longStr.writeBigUInt64LE(2n ** 50n, 24); // length of the first key
    expect(() => parseGGUF(longStr, 's.gguf')).toThrow(/^s\.gguf: truncated: metadata key #0 needs \d+ bytes at offset 32/);
    const arch = Buffer.from(concatChunks(encodeGGUF(new Map([['general.architecture', { type: 'string', value: 'gpt2' }]]), [])));
    expect(() => parseLlamaGGUF(arch, 'a.gguf')).toThrow('a.gguf: general.architecture is "gpt2", expected "llama"');
    const noEps = new Map(parseGGUF(good, 'g').metadata);
    noEps.delete('llama.attention.layer_norm_rms_epsilon');
    const g = parseGGUF(good, 'g');
    expect(() => parseLlamaGGUF(concatChunks(encodeGGUF(noEps, g.tensors)), 'e.gguf')).toThrow(
      'e.gguf: missing metadata llama.attention.layer_norm_rms_epsilon',
    );
  });

  it('writer rejects a vocabulary or metadata that does not fit', () => {
    const w = randomWeights(c);
    expect(() => encodeLlamaGGUF(c, w, vocabFor(c.vocabSize + 1))).toThrow(
      'GGUF writer: vocabulary does not fit the model: 11 tokens but vocabSize is 10',
    );
    expect(() => encodeLlamaGGUF(c, w, { ...vocabFor(c.vocabSize), eos: 99 })).toThrow('eos id 99 is not a token id');
    const extra: GGUFMetadata = new Map([['x', { type: 'uint8', value: 256 }]]);
    expect(() => encodeLlamaGGUF(c, w, vocabFor(c.vocabSize), { extraMetadata: extra })).toThrow(
      'GGUF writer: metadata x = 256 does not fit uint8',
    );
    const dup: GGUFMetadata = new Map([['llama.block_count', { type: 'uint32', value: 1 }]]);
    expect(() => encodeLlamaGGUF(c, w, vocabFor(c.vocabSize), { extraMetadata: dup })).toThrow(
      'extra metadata key llama.block_count is one heed writes itself',
    );
  });
});
