// heed against transformers itself: checkpoints written by LlamaForCausalLM.save_pretrained
// (scripts/make_hf_fixtures.py, transformers 5.18; the "v4-*" ones rewritten to the 4.x config
// layout) with float64 reference logits and gradients from HF's model. heed must read either
// layout as the same model and reproduce the reference: f64 on the CPU backend to ~1e-12, f32 on
// both backends to f32 rounding.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, noGrad } from '../../src/core/tensor.ts';
import { loadHF } from '../../src/io/hfconfig.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { headDim } from '../../src/nn/config.ts';
import { Llama } from '../../src/nn/llama.ts';
import { ropeFrequencies } from '../../src/ops/rope.ts';
import { gpu } from '../helpers/backends.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'hf');

/** What each fixture's config.json says, written out by hand from the generator's table. */
const EXPECTED: Record<string, Partial<LlamaConfig>> = {
  'v5-gqa-theta5e5': { nHeads: 4, nKvHeads: 2, ropeTheta: 500000, normEps: 1e-5, tiedEmbeddings: false, maxSeqLen: 64 },
  'v4-mqa-tied': { nHeads: 4, nKvHeads: 1, ropeTheta: 25000, normEps: 1e-6, tiedEmbeddings: true, maxSeqLen: 64 },
  'v5-llama3': {
    nHeads: 2,
    nKvHeads: 1,
    ropeTheta: 500000,
    tiedEmbeddings: false,
    maxSeqLen: 1024,
    ropeScaling: { type: 'llama3', factor: 4, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositions: 256 },
  },
  'v4-llama3-tied': {
    nHeads: 2,
    nKvHeads: 2,
    ropeTheta: 500000,
    tiedEmbeddings: true,
    maxSeqLen: 512,
    ropeScaling: { type: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 2, originalMaxPositions: 128 },
  },
  'v5-linear': {
    nHeads: 4,
    nKvHeads: 2,
    ropeTheta: 20000,
    tiedEmbeddings: false,
    maxSeqLen: 128,
    ropeScaling: { type: 'linear', factor: 2.5 },
  },
};

interface RefTensor {
  shape: number[];
  data: Float64Array | Float32Array | Int32Array;
}

/** The few safetensors dtypes the reference uses (heed's reader is f32-only by design). */
function readReference(path: string): Map<string, RefTensor> {
  const buf = readFileSync(path);
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8')) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const out = new Map<string, RefTensor>();
  for (const [
    name,
    {
      dtype,
      shape,
      data_offsets: [a, b],
    },
  ] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const bytes = Uint8Array.prototype.slice.call(buf, 8 + n + a, 8 + n + b).buffer;
    const Ctor = { F64: Float64Array, F32: Float32Array, I32: Int32Array }[dtype];
    if (!Ctor) throw new Error(`${path}: ${name} has dtype ${dtype}`);
    out.set(name, { shape, data: new Ctor(bytes) });
  }
  return out;
}

interface Fixture {
  name: string;
  config: LlamaConfig;
  model: ReturnType<typeof loadHF>;
  ref: Map<string, RefTensor>;
}

const fixtures: Fixture[] = Object.keys(EXPECTED).map((name) => {
  const model = loadHF(join(FIXTURES, name));
  return { name, config: model.config, model, ref: readReference(join(FIXTURES, name, 'reference.safetensors')) };
});

const get = (f: Fixture, k: string) => {
  const t = f.ref.get(k);
  if (!t) throw new Error(`${f.name}: reference has no ${k}`);
  return t;
};

/** max |a − b| / max(1, max |b|): absolute for values of order one, relative for larger ones. */
function maxErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let err = 0;
  let scale = 1;
  for (let i = 0; i < b.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return err / scale;
}

/** heed's logits, loss and gradient of every parameter for the fixture's ids and targets. */
async function run(f: Fixture, backend: Backend, dtype: 'f32' | 'f64', config = f.config) {
  const m = new Llama(config, backend, { dtype });
  m.loadState(f.model.weights);
  const ids = get(f, 'ids');
  const x = fromArray(Int32Array.from(ids.data), ids.shape, { dtype: 'i32', backend });
  const y = fromArray(Int32Array.from(get(f, 'targets').data), ids.shape, { dtype: 'i32', backend });
  const logits = await noGrad(() => m.forward(x)).data();
  const loss = m.loss(x, y);
  loss.backward();
  const grads = new Map<string, ArrayLike<number>>();
  for (const [n, p] of m.namedParameters()) grads.set(n, await (p.grad as Tensor).data());
  const out = { logits, loss: (await loss.data())[0]!, grads };
  m.dispose();
  return out;
}

describe('HF checkpoints saved by transformers (test/fixtures/hf)', () => {
  it.each(Object.keys(EXPECTED))('%s: config.json reads as the model it describes', (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const e = EXPECTED[name]!;
    expect(f.config).toMatchObject({ dim: 32, nLayers: 2, hiddenDim: 40, vocabSize: 48, ropeLayout: 'half', ...e });
    if (!e.ropeScaling) expect(f.config.ropeScaling).toBeUndefined();
  });

  it.each(Object.keys(EXPECTED))("%s: heed's RoPE frequencies are transformers' inv_freq, bit for bit", (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const want = get(f, 'inv_freq').data;
    expect([...ropeFrequencies(f.config.ropeTheta, headDim(f.config), f.config.ropeScaling)]).toEqual([...want]);
  });

  it("real Llama 3.x RoPE settings: heed's frequencies are transformers' inv_freq, bit for bit (freqs.json)", () => {
    const table = JSON.parse(readFileSync(join(FIXTURES, 'freqs.json'), 'utf8')) as Record<string, unknown>;
    const cases = Object.entries(table).filter(([k]) => !k.startsWith('_')) as [
      string,
      { head_dim: number; rope_parameters: Record<string, number | string>; inv_freq: number[] },
    ][];
    expect(cases.map(([k]) => k)).toContain('llama-3.1-8b');
    for (const [name, c] of cases) {
      const p = c.rope_parameters;
      const scaling =
        p.rope_type === 'llama3'
          ? {
              type: 'llama3' as const,
              factor: p.factor as number,
              lowFreqFactor: p.low_freq_factor as number,
              highFreqFactor: p.high_freq_factor as number,
              originalMaxPositions: p.original_max_position_embeddings as number,
            }
          : p.rope_type === 'linear'
            ? { type: 'linear' as const, factor: p.factor as number }
            : undefined;
      const got = ropeFrequencies(p.rope_theta as number, c.head_dim, scaling);
      expect([...got], name).toEqual(c.inv_freq);
    }
  });
});

describe('heed reproduces transformers (f64, cpu backend)', () => {
  it.each(Object.keys(EXPECTED))('%s: logits, loss and every gradient to 1e-12', async (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const got = await run(f, cpu, 'f64');
    expect(maxErr(got.logits, get(f, 'logits').data)).toBeLessThan(1e-12);
    expect(Math.abs(got.loss - get(f, 'loss').data[0]!)).toBeLessThan(1e-12);
    expect([...got.grads.keys()].sort()).toEqual(
      [...f.ref.keys()]
        .filter((k) => k.startsWith('grad.'))
        .map((k) => k.slice(5))
        .sort(),
    );
    for (const [n, g] of got.grads) expect(maxErr(g, get(f, `grad.${n}`).data), n).toBeLessThan(1e-12);
  });

  it('the scaled fixtures depend on their scaling: without it the logits move by far more than the tolerance', async () => {
    for (const f of fixtures.filter((x) => x.config.ropeScaling)) {
      const { ropeScaling: _, ...unscaled } = f.config;
      const got = await run(f, cpu, 'f64', unscaled);
      expect(maxErr(got.logits, get(f, 'logits').data), f.name).toBeGreaterThan(1e-3);
    }
  });
});

// f32 arithmetic end to end (weights are f32 already): the error is f32 rounding through two
// layers. Measured (max over fixtures, relative to max(1, |reference|)): logits 5e-7 on cpu, 1.7e-6
// on webgpu (lavapipe); gradients 2.5e-6 and 4.3e-6. f64 on cpu: logits 4e-15, gradients 8e-15.
const F32_LOGITS = 1e-5;
const F32_GRADS = 2e-5;

describe('heed reproduces transformers (f32, cpu and webgpu backends)', () => {
  let g: Backend;
  beforeAll(async () => {
    g = await gpu();
  });
  for (const kind of ['cpu', 'webgpu'] as const) {
    it.each(Object.keys(EXPECTED))(`%s [${kind}]: logits to ${F32_LOGITS}, gradients to ${F32_GRADS}`, async (name) => {
      const f = fixtures.find((x) => x.name === name)!;
      const got = await run(f, kind === 'cpu' ? cpu : g, 'f32');
      expect(maxErr(got.logits, get(f, 'logits').data)).toBeLessThan(F32_LOGITS);
      expect(Math.abs(got.loss - get(f, 'loss').data[0]!)).toBeLessThan(F32_LOGITS);
      for (const [n, grad] of got.grads) expect(maxErr(grad, get(f, `grad.${n}`).data), n).toBeLessThan(F32_GRADS);
    });
  }
});
