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

const dir = tempDir();

describe('HF config.json', () => {
  it('LlamaConfig → config.json → LlamaConfig is the identity, in the half layout (property)', () => {
    fc.assert(
      fc.property(arbConfig, (c) => {
        const json = JSON.parse(JSON.stringify(configToHF(c)));
        expect(configFromHF(json)).toEqual({ ...c, ropeLayout: 'half' });
      }),
    );
  });

  it('maps the HF field names', () => {
    expect(configToHF(tinyConfig({ tiedEmbeddings: false }), 'BF16')).toMatchObject({
      architectures: ['LlamaForCausalLM'],
      model_type: 'llama',
      hidden_size: 8,
      intermediate_size: 12,
      num_hidden_layers: 2,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      vocab_size: 10,
      max_position_embeddings: 16,
      rope_theta: 10000,
      rms_norm_eps: 1e-5,
      tie_word_embeddings: false,
      head_dim: 4,
      torch_dtype: 'bfloat16',
    });
  });

  it("reads a typical HF file with HF's defaults for absent fields", () => {
    const hf = {
      architectures: ['LlamaForCausalLM'],
      hidden_size: 2048,
      intermediate_size: 5632,
      num_attention_heads: 32,
      num_hidden_layers: 22,
      vocab_size: 32000,
      torch_dtype: 'bfloat16',
      use_cache: true,
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

  it('rejects what the model cannot run, naming the source', () => {
    const base = configToHF(tinyConfig());
    expect(() => configFromHF({ ...base, rope_scaling: { type: 'linear', factor: 2 } }, 'c.json')).toThrow(
      'c.json: rope_scaling {"type":"linear","factor":2} is not supported',
    );
    expect(() => configFromHF({ ...base, hidden_size: undefined }, 'c.json')).toThrow('c.json: hidden_size is missing');
    expect(() => configFromHF({ ...base, head_dim: 8 }, 'c.json')).toThrow('c.json: head_dim 8 differs from hidden_size / num_attention_heads = 4');
    expect(() => configFromHF({ ...base, num_key_value_heads: 3 }, 'c.json')).toThrow(/^c\.json: invalid Llama config: nHeads=2 is not a multiple of nKvHeads=3/);
    expect(() => configFromHF({ ...base, model_type: 'mistral' }, 'c.json')).toThrow('c.json: model_type "mistral" is not "llama"');
    expect(() => configFromHF([], 'c.json')).toThrow('c.json: not a JSON object');
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
    expect(() => loadHF(d)).toThrow(`${d}: weights do not match the config: model.layers.0.mlp.gate_proj.weight has shape [12,8], expected [13,8]`);
    expect(() => loadHF(join(dir, 'nowhere'))).toThrow(`${join(dir, 'nowhere', 'config.json')}: cannot read config`);
    expect(existsSync(join(dir, 'nowhere'))).toBe(false);
  });
});
