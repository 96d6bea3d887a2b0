import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { Rng } from '../../src/core/random.ts';
import { type Tensor, fromArray, noGrad, scope } from '../../src/core/tensor.ts';
import { loadHF, saveHF } from '../../src/io/hfconfig.ts';
import type { LlamaConfig } from '../../src/nn/config.ts';
import { KVCache, Llama } from '../../src/nn/llama.ts';
import { buildModel, readCheckpoint } from '../../src/load/pretrained.ts';
import { dataPath } from '../../src/util/dataRoot.ts';
import { gpu } from '../helpers/backends.ts';
import { relMax } from '../helpers/gradcheck.ts';

const tiny: LlamaConfig = {
  dim: 8,
  nLayers: 2,
  nHeads: 4,
  nKvHeads: 2,
  hiddenDim: 12,
  vocabSize: 11,
  maxSeqLen: 16,
  ropeTheta: 10000,
  ropeLayout: 'interleaved',
  normEps: 1e-5,
  tiedEmbeddings: false,
};

const ids = (b: Backend, data: number[], shape: number[]) => fromArray(Int32Array.from(data), shape, { dtype: 'i32', backend: b });

/** Random (not identity) norm weights and larger init so every parameter matters. */
async function randomize(m: Llama, seed: number): Promise<void> {
  const r = new Rng(seed);
  const state = await m.state();
  for (const t of state.values()) for (let i = 0; i < t.data.length; i++) t.data[i] = (t.shape.length === 1 ? 1 : 0) + 0.4 * r.normal();
  m.loadState(state);
}

describe('Llama', () => {
  it('llama2.c -> heed -> safetensors (HF layout) -> heed gives the same logits', async () => {
    const ck = readCheckpoint(dataPath('llama2c-stories260K', 'stories260K.bin'));
    const a = buildModel(ck, cpu);
    const dir = mkdtempSync(join(tmpdir(), 'heed-hf-'));
    try {
      saveHF(dir, ck.config, await a.state());
      const back = loadHF(dir);
      expect(back.config.ropeLayout).toBe('half');
      const b = buildModel(back, cpu);
      const x = ids(cpu, [1, 403, 407, 261, 378, 432], [1, 6]);
      const la = noGrad(() => a.forward(x)).dataSync();
      const lb = noGrad(() => b.forward(x)).dataSync();
      expect(relMax(la, lb)).toBeLessThan(1e-6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('whole-model gradient: finite differences in f64 for a sample of every parameter kind', async () => {
    const m = new Llama(tiny, cpu, { seed: 3, dtype: 'f64' });
    await randomize(m, 4);
    const x = ids(cpu, [1, 5, 2, 7, 3, 9, 4, 0, 8, 6], [2, 5]);
    const y = ids(cpu, [5, 2, 7, 3, -100, 4, 0, 8, 6, 10], [2, 5]);
    const lossValue = () => noGrad(() => scope(() => m.loss(x, y).dataSync()[0]!));
    scope(() => m.loss(x, y).backward());
    const r = new Rng(9);
    const eps = 1e-6;
    let worst = 0;
    for (const [name, p] of m.namedParameters()) {
      const grad = p.grad!.dataSync();
      const host = p.dataSync() as Float64Array;
      for (let s = 0; s < 3; s++) {
        const i = r.int(p.size);
        const orig = host[i]!;
        host[i] = orig + eps;
        p.write(host);
        const up = lossValue();
        host[i] = orig - eps;
        p.write(host);
        const down = lossValue();
        host[i] = orig;
        p.write(host);
        const numeric = (up - down) / (2 * eps);
        const err = Math.abs(numeric - grad[i]!) / Math.max(1e-3, Math.abs(numeric), Math.abs(grad[i]!));
        if (err > worst) worst = err;
        expect(err, `${name}[${i}] analytic ${grad[i]} numeric ${numeric}`).toBeLessThan(1e-6);
      }
    }
    m.dispose();
  });

  it('KV-cache decoding gives the same logits as the full forward (cpu)', () => checkCache(cpu, 1e-5));
});

async function checkCache(b: Backend, tol: number): Promise<void> {
  const m = new Llama({ ...tiny, tiedEmbeddings: true }, b, { seed: 5 });
  await randomize(m, 6);
  const seq = [1, 4, 9, 2, 2, 7, 3];
  const full = await noGrad(() => m.forward(ids(b, [...seq, ...seq.slice().reverse()], [2, seq.length]))).data();
  const cache = new KVCache(m.config, 2, b, 10);
  const V = m.config.vocabSize;
  const T = seq.length;
  const rev = seq.slice().reverse();
  // prefill 3 positions, then decode one at a time
  const pre = await noGrad(() => m.forward(ids(b, [...seq.slice(0, 3), ...rev.slice(0, 3)], [2, 3]), { cache })).data();
  const rows: number[][] = [[], []];
  for (let bi = 0; bi < 2; bi++) for (let t = 0; t < 3; t++) rows[bi]!.push(...pre.slice((bi * 3 + t) * V, (bi * 3 + t + 1) * V));
  for (let t = 3; t < T; t++) {
    const step = await noGrad(() => m.forward(ids(b, [seq[t]!, rev[t]!], [2, 1]), { cache })).data();
    for (let bi = 0; bi < 2; bi++) rows[bi]!.push(...step.slice(bi * V, (bi + 1) * V));
  }
  expect(relMax(full, [...rows[0]!, ...rows[1]!])).toBeLessThan(tol);
  cache.dispose();
  m.dispose();
}

describe('Llama on webgpu', () => {
  let g: Backend;
  beforeAll(async () => {
    g = await gpu();
  });

  it('gradients of every parameter match the cpu reference', async () => {
    const grads = async (b: Backend) => {
      const m = new Llama(tiny, b, { seed: 3 });
      await randomize(m, 4);
      const x = ids(b, [1, 5, 2, 7, 3, 9, 4, 0, 8, 6], [2, 5]);
      const y = ids(b, [5, 2, 7, 3, -100, 4, 0, 8, 6, 10], [2, 5]);
      const loss = m.loss(x, y);
      loss.backward();
      const out = new Map<string, Float32Array>();
      for (const [n, p] of m.namedParameters()) out.set(n, (await (p.grad as Tensor).data()) as Float32Array);
      out.set('loss', (await loss.data()) as Float32Array);
      m.dispose();
      return out;
    };
    const a = await grads(cpu);
    const b = await grads(g);
    for (const [n, ga] of a) expect(relMax(ga, b.get(n)!), n).toBeLessThan(2e-4);
  });

  it('KV-cache decoding gives the same logits as the full forward (webgpu)', () => checkCache(g, 1e-4));
});
