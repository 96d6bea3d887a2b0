// llama.cpp as an independent oracle for heed's Llama: random small models written by heed's GGUF
// writer are run by llama.cpp (node-llama-cpp's prebuilt CPU binary, all f32) and by heed on the
// CPU and WebGPU backends, and the next-token logits must agree at every position of several
// prompts. An f64 forward pass written from the definition (reference.ts) is a third opinion that
// first checks the oracle itself, so a failure says which side is off.
// If node-llama-cpp cannot be loaded the suite fails; it never skips.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { Rng } from '../../src/core/random.ts';
import { fromArray, noGrad, scopeAsync } from '../../src/core/tensor.ts';
import { writeGGUF } from '../../src/io/gguf.ts';
import type { NamedTensors } from '../../src/io/weights.ts';
import { expectedShapes, numel } from '../../src/io/weights.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { buildModel } from '../../src/load/pretrained.ts';
import { gpu } from '../helpers/backends.ts';
import { syntheticVocab } from './ggufVocab.ts';
import { LlamaCppModel } from './llamacpp.ts';
import { referenceLogits } from './reference.ts';

/** Max |a - b| must stay below REL_TOL * max |reference logit|. */
const REL_TOL = 1e-3;

interface Case {
  name: string;
  config: LlamaConfig;
  seed: number;
}

const base = { maxSeqLen: 32, normEps: 1e-5, ropeLayout: 'interleaved' } as const;
const CASES: Case[] = [
  {
    name: 'GQA 4/2, untied, theta 1e4',
    seed: 11,
    config: {
      ...base,
      dim: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 2,
      hiddenDim: 160,
      vocabSize: 320,
      ropeTheta: 10000,
      tiedEmbeddings: false,
    },
  },
  {
    name: 'MHA 4/4, tied, theta 5e5',
    seed: 12,
    config: {
      ...base,
      dim: 64,
      nLayers: 2,
      nHeads: 4,
      nKvHeads: 4,
      hiddenDim: 128,
      vocabSize: 400,
      ropeTheta: 500000,
      tiedEmbeddings: true,
    },
  },
  {
    name: 'GQA 6/2, untied, theta 1e6, 3 layers',
    seed: 13,
    config: { ...base, dim: 96, nLayers: 3, nHeads: 6, nKvHeads: 2, hiddenDim: 256, vocabSize: 600, ropeTheta: 1e6, tiedEmbeddings: false },
  },
  {
    name: 'MQA 4/1, tied, 1 layer, eps 1e-6',
    seed: 14,
    config: {
      ...base,
      dim: 32,
      nLayers: 1,
      nHeads: 4,
      nKvHeads: 1,
      hiddenDim: 88,
      vocabSize: 300,
      ropeTheta: 10000,
      normEps: 1e-6,
      tiedEmbeddings: true,
    },
  },
  // heed runs these weights in the HF (half) layout; the GGUF writer permutes q/k for llama.cpp.
  {
    name: 'GQA 8/2, untied, theta 5e5, half layout',
    seed: 15,
    config: {
      ...base,
      dim: 64,
      nLayers: 2,
      nHeads: 8,
      nKvHeads: 2,
      hiddenDim: 144,
      vocabSize: 512,
      ropeTheta: 500000,
      ropeLayout: 'half',
      tiedEmbeddings: false,
    },
  },
];

const PROMPT_LENGTHS = [1, 2, 7, 20, 32];

/** Matrices N(0, 1/fan_in) (so activations and logits stay O(1)), norm weights 1 + N(0, 0.2²). */
function randomWeights(c: LlamaConfig, seed: number): NamedTensors {
  const r = new Rng(seed);
  const w: NamedTensors = new Map();
  for (const [name, shape] of expectedShapes(c)) {
    const fanIn = shape.length === 1 ? 0 : shape[1]!;
    const data = new Float32Array(numel(shape));
    for (let i = 0; i < data.length; i++) data[i] = fanIn === 0 ? 1 + 0.2 * r.normal() : r.normal() / Math.sqrt(fanIn);
    w.set(name, { shape, data });
  }
  return w;
}

function prompts(c: LlamaConfig, seed: number): number[][] {
  const r = new Rng(seed + 1000);
  return PROMPT_LENGTHS.map((n) => Array.from({ length: n }, () => r.int(c.vocabSize)));
}

interface Diff {
  maxAbs: number;
  /** maxAbs / max |reference logit| */
  rel: number;
  /** Positions whose argmax differs, unless the two candidates are tied to within 1e-5 of scale. */
  argmaxMismatches: string[];
}

function compare(got: ArrayLike<number>, ref: ArrayLike<number>, V: number): Diff {
  let maxAbs = 0;
  let scale = 0;
  const argmaxMismatches: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    maxAbs = Math.max(maxAbs, Math.abs(got[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
    if (!Number.isFinite(got[i]!)) maxAbs = Infinity;
  }
  const argmax = (a: ArrayLike<number>, off: number) => {
    let best = 0;
    for (let v = 1; v < V; v++) if (a[off + v]! > a[off + best]!) best = v;
    return best;
  };
  for (let off = 0; off < ref.length; off += V) {
    const g = argmax(got, off);
    const e = argmax(ref, off);
    if (g !== e && ref[off + e]! - ref[off + g]! > 1e-5 * scale) argmaxMismatches.push(`position ${off / V}: ${g} instead of ${e}`);
  }
  return { maxAbs, rel: maxAbs / scale, argmaxMismatches };
}

function merge(ds: Diff[]): Diff {
  return {
    maxAbs: Math.max(...ds.map((d) => d.maxAbs)),
    rel: Math.max(...ds.map((d) => d.rel)),
    argmaxMismatches: ds.flatMap((d, i) => d.argmaxMismatches.map((m) => `prompt ${i} (length ${PROMPT_LENGTHS[i]}) ${m}`)),
  };
}

async function heedLogits(c: LlamaConfig, weights: NamedTensors, backend: Backend, ps: number[][]): Promise<Float32Array[]> {
  const model = buildModel({ config: c, weights }, backend);
  try {
    const out: Float32Array[] = [];
    for (const p of ps) {
      out.push(
        await scopeAsync(async () => {
          const ids = fromArray(Int32Array.from(p), [1, p.length], { dtype: 'i32', backend });
          const logits = noGrad(() => model.forward(ids));
          expect(logits.shape).toEqual([1, p.length, c.vocabSize]);
          return Float32Array.from(await logits.data());
        }),
      );
    }
    return out;
  } finally {
    model.dispose();
  }
}

const report: string[] = [];
const fmt = (d: Diff) => `max abs ${d.maxAbs.toExponential(2)}, rel ${d.rel.toExponential(2)}`;

function expectClose(d: Diff, what: string): void {
  expect(d.argmaxMismatches, `${what}: argmax differs`).toEqual([]);
  expect(d.rel, `${what}: ${fmt(d)}`).toBeLessThan(REL_TOL);
}

describe('heed Llama vs llama.cpp (node-llama-cpp, CPU, f32)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'heed-oracle-'));
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
    if (report.length) console.log(`llama.cpp oracle (tolerance rel ${REL_TOL} of max |logit|):\n  ${report.join('\n  ')}`);
  });

  for (const { name, config, seed } of CASES) {
    describe(name, () => {
      const weights = randomWeights(config, seed);
      const ps = prompts(config, seed);
      let cppLogits: Float32Array[] = [];
      let refLogits: Float64Array[] = [];

      beforeAll(async () => {
        const path = join(dir, `case-${seed}.gguf`);
        writeGGUF(path, config, weights, syntheticVocab(config.vocabSize));
        const cpp = await LlamaCppModel.load(path, config.maxSeqLen);
        try {
          cppLogits = [];
          for (const p of ps) cppLogits.push(await cpp.logits(p, config.vocabSize));
        } finally {
          await cpp.dispose();
        }
        refLogits = ps.map((p) => referenceLogits(config, weights, p));
      });

      it('llama.cpp agrees with an f64 reference forward (checks the oracle and the GGUF file)', () => {
        const d = merge(cppLogits.map((l, i) => compare(l, refLogits[i]!, config.vocabSize)));
        report.push(`${name}: llama.cpp vs f64 reference: ${fmt(d)}`);
        expectClose(d, 'llama.cpp vs f64 reference');
      });

      for (const kind of ['cpu', 'webgpu'] as const) {
        it(`heed [${kind}] agrees with llama.cpp`, async () => {
          const backend = kind === 'cpu' ? cpu : await gpu();
          const heed = await heedLogits(config, weights, backend, ps);
          const d = merge(heed.map((l, i) => compare(l, cppLogits[i]!, config.vocabSize)));
          const dRef = merge(heed.map((l, i) => compare(l, refLogits[i]!, config.vocabSize)));
          report.push(`${name}: heed [${kind}] vs llama.cpp: ${fmt(d)}; vs f64 reference: ${fmt(dRef)}`);
          expectClose(d, `heed [${kind}] vs llama.cpp (vs f64 reference: ${fmt(dRef)})`);
        });
      }
    });
  }
});
