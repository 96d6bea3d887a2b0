// Small synthetic models and temp dirs for the io tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll } from 'vitest';
import type { LlamaConfig } from '../../src/nn/config.ts';
import type { NamedTensors } from '../../src/io/weights.ts';
import { expectedShapes, numel } from '../../src/io/weights.ts';

/** Deterministic float32 values in [-1, 1) from a seed (mulberry32). */
export function randomFloats(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 2 ** 32) * 2 - 1;
  }
  return out;
}

export function randomWeights(c: LlamaConfig, seed = 1): NamedTensors {
  const w: NamedTensors = new Map();
  let k = 0;
  for (const [name, shape] of expectedShapes(c)) w.set(name, { shape, data: randomFloats(numel(shape), seed * 1000 + k++) });
  return w;
}

export function tinyConfig(over: Partial<LlamaConfig> = {}): LlamaConfig {
  return {
    dim: 8,
    nLayers: 2,
    nHeads: 2,
    nKvHeads: 1,
    hiddenDim: 12,
    vocabSize: 10,
    maxSeqLen: 16,
    ropeTheta: 10000,
    ropeLayout: 'interleaved',
    normEps: 1e-5,
    tiedEmbeddings: true,
    ...over,
  };
}

/** Random small but valid configs (GQA groups, even head dims, either layout, tied or not). */
export const arbConfig: fc.Arbitrary<LlamaConfig> = fc
  .record({
    nKvHeads: fc.integer({ min: 1, max: 3 }),
    group: fc.integer({ min: 1, max: 3 }),
    halfHd: fc.integer({ min: 1, max: 4 }),
    nLayers: fc.integer({ min: 1, max: 3 }),
    hiddenDim: fc.integer({ min: 1, max: 20 }),
    vocabSize: fc.integer({ min: 1, max: 24 }),
    maxSeqLen: fc.integer({ min: 1, max: 32 }),
    ropeTheta: fc.constantFrom(10000, 500000, 1e6),
    normEps: fc.constantFrom(1e-5, 1e-6),
    ropeLayout: fc.constantFrom('interleaved' as const, 'half' as const),
    tiedEmbeddings: fc.boolean(),
  })
  .map(({ nKvHeads, group, halfHd, ...rest }) => ({
    ...rest,
    nKvHeads,
    nHeads: nKvHeads * group,
    dim: nKvHeads * group * halfHd * 2,
  }));

export function expectSameWeights(a: NamedTensors, b: NamedTensors): void {
  if ([...a.keys()].sort().join() !== [...b.keys()].sort().join())
    throw new Error(`different tensor names: ${[...a.keys()].sort()} vs ${[...b.keys()].sort()}`);
  for (const [name, t] of a) {
    const u = b.get(name)!;
    if (t.shape.join() !== u.shape.join()) throw new Error(`${name}: shape [${t.shape}] vs [${u.shape}]`);
    if (
      Buffer.compare(
        Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength),
        Buffer.from(u.data.buffer, u.data.byteOffset, u.data.byteLength),
      )
    )
      throw new Error(`${name}: data differs`);
  }
}

/** A temp directory removed after the test file finishes. */
export function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'heed-io-'));
  afterAll(() => rmSync(d, { recursive: true, force: true }));
  return d;
}
