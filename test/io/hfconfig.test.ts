import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundBF16 } from '../../src/io/halfFloat.ts';
import { configFromHF, configToHF, loadHF, saveHF } from '../../src/io/hfconfig.ts';
import { readLlama2c } from '../../src/io/llama2c.ts';
import { INDEX_FILE, readSafetensors, writeSafetensors } from '../../src/io/safetensors.ts';
import { layerName, toLayout } from '../../src/io/weights.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { arbConfig, expectSameWeights, randomWeights, tempDir, tinyConfig } from './fixtures.ts';
import type { LlamaConfig, RopeScaling } from '../../src/nn/config.ts';

const dir = tempDir();

const arbScaling: fc.Arbitrary<RopeScaling | undefined> = fc.oneof(
  fc.constant(undefined),
  fc.record({ type: fc.constant('linear' as const), factor: fc.constantFrom(2, 2.5, 4) }),
  fc.record({
    type: fc.constant('llama3' as const),
    factor: fc.constantFrom(8, 32),
    lowFreqFactor: fc.constantFrom(1, 0.5),
    highFreqFactor: fc.constantFrom(4, 2),
    originalMaxPositions: fc.constantFrom(8192, 128),
  }),
);
const arbScaledConfig = fc.tuple(arbConfig, arbScaling).map(([c, s]): LlamaConfig => (s ? { ...c, ropeScaling: s } : c));

/** A config.json in each of HF's layouts, the fields heed needs and nothing else. */
const BASE = {
  hidden_size: 8,
  intermediate_size: 12,
  num_hidden_layers: 2,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  vocab_size: 10,
  max_position_embeddings: 16,
};
const LLAMA3 = { factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
const V5 = { ...BASE, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, ...LLAMA3 } };
const V4 = { ...BASE, rope_theta: 500000, rope_scaling: { rope_type: 'llama3', ...LLAMA3 } };
const LLAMA3_CONFIG: Partial<LlamaConfig> = {
  ropeTheta: 500000,
  ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 8192 },
};
const fromHF = (j: Record<string, unknown>) => configFromHF(j, 'c.json');

describe('HF config.json', () => {
  it('LlamaConfig → config.json → LlamaConfig is the identity, in the half layout, scaled or not (property)', () => {
    fc.assert(
      fc.property(arbScaledConfig, (c) => {
        const json = JSON.parse(JSON.stringify(configToHF(c)));
        expect(configFromHF(json)).toEqual({ ...c, ropeLayout: 'half' });
      }),
    );
  });

  it('writes both layouts: 4.x rope_theta + rope_scaling and 5.x rope_parameters, with the same values', () => {
    expect(configToHF(tinyConfig({ tiedEmbeddings: false }), 'BF16')).toEqual({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      head_dim: 4,
      vocab_size: 10,
      max_position_embeddings: 16,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: false,
      hidden_act: 'silu',
      attention_bias: false,
      mlp_bias: false,
      rope_theta: 10000,
      rope_scaling: null,
      rope_parameters: { rope_type: 'default', rope_theta: 10000 },
      torch_dtype: 'bfloat16',
      dtype: 'bfloat16',
    });
    const scaled = configToHF(tinyConfig({ ...LLAMA3_CONFIG }));
    expect(scaled.rope_theta).toBe(500000);
    expect(scaled.rope_scaling).toEqual({ rope_type: 'llama3', ...LLAMA3 });
    expect(scaled.rope_parameters).toEqual({ rope_type: 'llama3', rope_theta: 500000, ...LLAMA3 });
    expect(configToHF(tinyConfig({ ropeScaling: { type: 'linear', factor: 2 } })).rope_scaling).toEqual({ rope_type: 'linear', factor: 2 });
  });

  it("reads a typical HF file with HF's defaults for fields it has nowhere", () => {
    const hf = {
      architectures: ['LlamaForCausalLM'],
      hidden_size: 2048,
      intermediate_size: 5632,
      num_attention_heads: 32,
      num_hidden_layers: 22,
      vocab_size: 32000,
      torch_dtype: 'bfloat16',
      use_cache: true,
      pad_token_id: null,
      sliding_window: null,
      head_dim: null,
    };
    expect(configFromHF(hf)).toEqual({
      dim: 2048,
      hiddenDim: 5632,
      nLayers: 22,
      nHeads: 32,
      nKvHeads: 32,
      vocabSize: 32000,
      maxSeqLen: 2048,
      ropeTheta: 10000,
      ropeLayout: 'half',
      normEps: 1e-6,
      tiedEmbeddings: false,
    });
  });

  it('reads theta and llama3 scaling from the transformers ≥ 5 layout and from the 4.x layout alike', () => {
    expect(fromHF(V5)).toMatchObject(LLAMA3_CONFIG);
    expect(fromHF(V4)).toMatchObject(LLAMA3_CONFIG);
    // issue 7: a 5.x file keeps theta only inside rope_parameters; it must not fall back to 10000
    expect(fromHF({ ...BASE, rope_parameters: { rope_type: 'default', rope_theta: 500000 } })).toMatchObject({ ropeTheta: 500000 });
    expect(fromHF({ ...BASE, rope_parameters: { rope_type: 'default', rope_theta: 500000 } }).ropeScaling).toBeUndefined();
    // both layouts at once (what heed writes), agreeing; legacy "type" for "rope_type"; null scaling
    expect(fromHF({ ...V4, rope_parameters: V5.rope_parameters })).toMatchObject(LLAMA3_CONFIG);
    expect(fromHF({ ...BASE, rope_theta: 20000, rope_scaling: { type: 'linear', factor: 2 } })).toMatchObject({
      ropeTheta: 20000,
      ropeScaling: { type: 'linear', factor: 2 },
    });
    expect(
      fromHF({ ...BASE, rope_theta: 20000, rope_scaling: null, rope_parameters: { rope_type: 'default', rope_theta: 20000 } }),
    ).toMatchObject({ ropeTheta: 20000 });
    // a top-level original_max_position_embeddings (as HF also reads it) may stand in for the dict's
    const { original_max_position_embeddings: _, ...noOrig } = LLAMA3;
    expect(
      fromHF({ ...BASE, original_max_position_embeddings: 8192, rope_parameters: { rope_type: 'llama3', rope_theta: 500000, ...noOrig } }),
    ).toMatchObject(LLAMA3_CONFIG);
  });

  it('a value given in two places must agree: the error names both places and values', () => {
    expect(() => fromHF({ ...V5, rope_theta: 10000 })).toThrow('c.json: rope_theta 10000 disagrees with rope_parameters.rope_theta 500000');
    expect(() => fromHF({ ...V5, rope_scaling: { rope_type: 'linear', factor: 8 } })).toThrow(
      'c.json: rope_parameters.rope_type "llama3" disagrees with rope_scaling.rope_type "linear"',
    );
    expect(() => fromHF({ ...V5, rope_scaling: { ...V4.rope_scaling, factor: 16 } })).toThrow(
      'c.json: rope_parameters.factor 8 disagrees with rope_scaling.factor 16',
    );
    expect(() => fromHF({ ...BASE, rope_scaling: { rope_type: 'linear', type: 'llama3', factor: 2 } })).toThrow(
      'c.json: rope_scaling.rope_type "linear" disagrees with rope_scaling.type "llama3"',
    );
    expect(() => fromHF({ ...V5, original_max_position_embeddings: 4096 })).toThrow(
      'c.json: rope_parameters.original_max_position_embeddings 8192 disagrees with original_max_position_embeddings 4096',
    );
  });

  it('refuses what heed does not implement, naming the file and the key', () => {
    const cases: [Record<string, unknown>, string][] = [
      [
        { ...BASE, rope_parameters: { rope_type: 'yarn', rope_theta: 10000, factor: 4 } },
        'rope_parameters.rope_type "yarn" is not supported (heed implements "default", "linear" and "llama3")',
      ],
      [{ ...BASE, rope_scaling: { type: 'dynamic', factor: 2 } }, 'rope_scaling.type "dynamic" is not supported'],
      [
        { ...BASE, rope_parameters: { rope_type: 'linear', rope_theta: 10000, factor: 2, attention_factor: 0.5 } },
        'rope_parameters.attention_factor is not supported with rope_type "linear"',
      ],
      [
        {
          ...BASE,
          rope_parameters: { rope_type: 'llama3', rope_theta: 10000, factor: 8, high_freq_factor: 4, original_max_position_embeddings: 64 },
        },
        'rope_parameters.low_freq_factor is missing (rope_type "llama3" needs it)',
      ],
      [{ ...BASE, rope_scaling: { rope_type: 'linear' } }, 'rope_scaling.factor is missing (rope_type "linear" needs it)'],
      [
        { ...V5, rope_parameters: { ...V5.rope_parameters, low_freq_factor: 4 } },
        'invalid Llama config: ropeScaling.lowFreqFactor=4 must be < highFreqFactor=4',
      ],
      [
        { ...BASE, rope_parameters: { rope_type: 'linear', rope_theta: 10000, factor: 0 } },
        'invalid Llama config: ropeScaling.factor=0 must be a finite number > 0',
      ],
      [
        { ...BASE, rope_parameters: { full_attention: { rope_type: 'default', rope_theta: 10000 } } },
        'rope_parameters {"full_attention":{"rope_type":"default","rope_theta":10000}} holds per-layer-type RoPE parameters',
      ],
      [{ ...BASE, rope_scaling: 'linear' }, 'rope_scaling "linear" is not an object'],
      [{ ...BASE, rope_theta: '10000' }, 'rope_theta is "10000", not a number'],
      [{ ...BASE, partial_rotary_factor: 0.5 }, 'partial_rotary_factor 0.5 is not supported (heed rotates the whole head)'],
      [
        { ...BASE, rope_parameters: { rope_type: 'default', rope_theta: 10000, partial_rotary_factor: 0.25 } },
        'rope_parameters.partial_rotary_factor 0.25 is not supported',
      ],
      [{ ...BASE, attention_bias: true }, 'attention_bias true is not supported'],
      [{ ...BASE, mlp_bias: true }, 'mlp_bias true is not supported'],
      [{ ...BASE, mlp_bias: 'no' }, 'mlp_bias "no" is not a boolean'],
      [{ ...BASE, attention_dropout: 0.1 }, 'attention_dropout 0.1 is not supported (heed has no dropout)'],
      [{ ...BASE, sliding_window: 4096 }, 'sliding_window 4096 is not supported'],
      [{ ...BASE, use_sliding_window: true }, 'use_sliding_window true is not supported'],
      [
        { ...BASE, layer_types: ['full_attention', 'sliding_attention'] },
        'layer_types ["full_attention","sliding_attention"] is not supported',
      ],
      [{ ...BASE, quantization_config: { quant_method: 'bitsandbytes' } }, 'quantization_config is not supported'],
      [{ ...BASE, hidden_act: 'gelu' }, 'hidden_act "gelu" is not supported (only "silu")'],
      [{ ...BASE, architectures: ['MistralForCausalLM'] }, 'architectures ["MistralForCausalLM"] does not name LlamaForCausalLM'],
      [{ ...BASE, model_type: 'mistral' }, 'model_type "mistral" is not "llama"'],
      [{ ...BASE, tie_word_embeddings: 1 }, 'tie_word_embeddings 1 is not a boolean'],
      [{ ...BASE, hidden_size: undefined }, 'hidden_size is missing'],
      [{ ...BASE, vocab_size: null }, 'vocab_size is null'],
      [{ ...BASE, rms_norm_eps: '1e-5' }, 'rms_norm_eps is "1e-5", not a number'],
      [{ ...BASE, head_dim: 8 }, 'head_dim 8 differs from hidden_size / num_attention_heads = 4'],
    ];
    for (const [json, msg] of cases) expect(() => fromHF(json), msg).toThrow(`c.json: ${msg}`);
    expect(() => fromHF({ ...BASE, num_key_value_heads: 3 })).toThrow(
      /^c\.json: invalid Llama config: nHeads=2 is not a multiple of nKvHeads=3/,
    );
    expect(() => configFromHF([], 'c.json')).toThrow('c.json: not a JSON object');
    // and it accepts their harmless values
    expect(
      fromHF({
        ...BASE,
        attention_bias: false,
        mlp_bias: false,
        attention_dropout: 0,
        partial_rotary_factor: 1,
        layer_types: ['full_attention', 'full_attention'],
        hidden_act: 'silu',
      }),
    ).toMatchObject({ dim: 8 });
  });
});

describe('saveHF / loadHF', () => {
  const stories = readLlama2c(dataPath('llama2c-stories260K', 'stories260K.bin'));

  it('stories260K: save as HF f32, load back in either layout, exactly', () => {
    const d = join(dir, 'stories-hf');
    expect(saveHF(d, stories.config, stories.weights)).toEqual(['config.json', 'model.safetensors']);
    const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({ hidden_size: 64, num_key_value_heads: 4, tie_word_embeddings: true, rms_norm_eps: 1e-5 });
    // On disk q/k are in HF's half layout.
    const raw = readSafetensors(join(d, 'model.safetensors'));
    const q = layerName(2, 'self_attn.q_proj');
    expect(raw.tensors.get(q)!.data).toEqual(toLayout(stories.weights, stories.config, 'half').weights.get(q)!.data);
    expect(raw.tensors.has('lm_head.weight')).toBe(false);
    const back = loadHF(d, 'interleaved');
    expect(back.config).toEqual(stories.config);
    expectSameWeights(back.weights, stories.weights);
    const half = loadHF(d);
    expect(half.config.ropeLayout).toBe('half');
    expectSameWeights(half.weights, toLayout(stories.weights, stories.config, 'half').weights);
  });

  it('bf16 and sharded: values rounded to bf16, index written', () => {
    const d = join(dir, 'stories-bf16');
    const files = saveHF(d, stories.config, stories.weights, { dtype: 'BF16', maxShardBytes: 100_000 });
    expect(files).toContain(INDEX_FILE);
    expect(JSON.parse(readFileSync(join(d, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    const back = loadHF(d, 'interleaved');
    for (const [name, t] of stories.weights) expect(back.weights.get(name)!.data).toEqual(t.data.map(roundBF16));
  });

  it('untied models keep lm_head; extra HF buffers and a tied duplicate are dropped on load', () => {
    const c = tinyConfig({ tiedEmbeddings: false, ropeLayout: 'half' });
    const w = randomWeights(c, 5);
    const d = join(dir, 'untied');
    saveHF(d, c, w);
    const back = loadHF(d);
    expect(back.config).toEqual(c);
    expectSameWeights(back.weights, w);

    const t = tinyConfig();
    const tw = randomWeights(t, 6);
    const d2 = join(dir, 'tied-extra');
    saveHF(d2, t, tw);
    const withExtra = readSafetensors(join(d2, 'model.safetensors')).tensors;
    withExtra.set('lm_head.weight', tw.get('model.embed_tokens.weight')!);
    withExtra.set('model.layers.0.self_attn.rotary_emb.inv_freq', { shape: [2], data: new Float32Array(2) });
    writeSafetensors(join(d2, 'model.safetensors'), withExtra);
    expectSameWeights(loadHF(d2, 'interleaved').weights, tw);
  });

  it('errors name the directory and the mismatch', () => {
    const c = tinyConfig();
    const d = join(dir, 'mismatch');
    saveHF(d, c, randomWeights(c));
    const cfg = JSON.parse(readFileSync(join(d, 'config.json'), 'utf8'));
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...cfg, intermediate_size: 13 }));
    expect(() => loadHF(d)).toThrow(
      `${d}: weights do not match the config: model.layers.0.mlp.gate_proj.weight has shape [12,8], expected [13,8]`,
    );
    expect(() => loadHF(join(dir, 'nowhere'))).toThrow(`${join(dir, 'nowhere', 'config.json')}: cannot read the config: does not exist`);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});

describe('loadHF on a broken config.json', () => {
  it('names the file and says what is wrong, without raw JSON or file-system error text', () => {
    const d = join(dir, 'broken-config');
    saveHF(d, tinyConfig(), randomWeights(tinyConfig(), 1));
    const cfg = join(d, 'config.json');
    const text = readFileSync(cfg, 'utf8');
    writeFileSync(cfg, text.slice(0, text.length >> 1));
    expect(() => loadHF(d)).toThrow(
      new RegExp(
        `${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the config is not valid JSON: the text ends before the JSON value is complete`,
      ),
    );
  });
});
