// The fast CPU backend against the reference loops: the SIMD gemm in every layout the engine
// launches (NN, NT, TN, TT, batched, broadcast, reduced over nred, K past one KC block, edge
// tiles), single- and multi-threaded; deliberately broken gemms must fail the same property;
// the allocator, memory growth and the thread pool's life cycle.
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { FastBackend, defaultThreads } from '../../src/backend/fast/fast.ts';
import type { GemmMutant } from '../../src/backend/fast/gemm.ts';
import { KC } from '../../src/backend/fast/gemm.ts';
import { exp4, expTemps } from '../../src/backend/fast/expf.ts';
import { Fn, moduleBytes } from '../../src/backend/fast/wasmEmit.ts';
import { type MatmulP, matmulK } from '../../src/ops/matmul.ts';

const arbP = fc.record({
  batch: fc.integer({ min: 1, max: 3 }),
  M: fc.integer({ min: 1, max: 70 }),
  N: fc.integer({ min: 1, max: 40 }),
  K: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: KC - 3, max: KC + 40 })),
  nred: fc.integer({ min: 1, max: 3 }),
  transA: fc.boolean(),
  transB: fc.boolean(),
  // which operand broadcasts over the batch (0 offset between batches)
  share: fc.constantFrom('none', 'a', 'b'),
  seed: fc.integer({ min: 1, max: 2 ** 30 }),
});

type Case = { batch: number; M: number; N: number; K: number; nred: number; transA: boolean; transB: boolean; share: string; seed: number };

function params(c: Case): MatmulP {
  const slabA = c.M * c.K;
  const slabB = c.K * c.N;
  // slices r of one batch are adjacent; batches follow (or repeat, when shared)
  return {
    batch: c.batch,
    M: c.M,
    N: c.N,
    K: c.K,
    nred: c.nred,
    transA: c.transA,
    transB: c.transB,
    aR: slabA,
    bR: slabB,
    aZ: c.share === 'a' ? 0 : slabA * c.nred,
    bZ: c.share === 'b' ? 0 : slabB * c.nred,
    kernel: 'auto',
  };
}

function fill(a: Float32Array, seed: number): void {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < a.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    a[i] = s / 2 ** 31 - 1;
  }
}

/** Largest |fast − reference| over the bound f32 accumulation allows: ≤ 1 passes. */
function errorRatio(b: FastBackend, c: Case): number {
  const p = params(c);
  const na = (c.share === 'a' ? 1 : c.batch) * c.nred * c.M * c.K;
  const nb = (c.share === 'b' ? 1 : c.batch) * c.nred * c.K * c.N;
  const nc = c.batch * c.M * c.N;
  const a = new Float32Array(na);
  const bb = new Float32Array(nb);
  fill(a, c.seed);
  fill(bb, c.seed + 1);
  const ref = new Float32Array(nc);
  matmulK.cpu([a, bb], [ref], p);
  const sa = b.alloc('f32', na);
  const sb = b.alloc('f32', nb);
  const sc = b.alloc('f32', nc);
  b.upload(sa, a);
  b.upload(sb, bb);
  b.upload(sc, new Float32Array(nc).fill(Number.NaN)); // a missed write shows
  b.run(matmulK, [sa, sb], [sc], p);
  const got = b.readSync(sc);
  for (const s of [sa, sb, sc]) b.free(s);
  // |a|, |b| < 1: the f32 sum of K·nred products is within K·nred·2⁻²³ of the exact one
  const tol = c.K * c.nred * 2 ** -23 + 1e-7;
  let worst = 0;
  for (let i = 0; i < nc; i++) {
    const e = Math.abs(got[i]! - ref[i]!);
    worst = Number.isNaN(e) ? Infinity : Math.max(worst, e / tol);
  }
  return worst;
}

describe('fast backend gemm against the reference loop', () => {
  const single = new FastBackend({ threads: 1 });
  const threaded = new FastBackend({ threads: 3, parallelMinWork: 0 });
  afterAll(async () => {
    await single.close();
    await threaded.close();
  });
  it('every layout, one thread', () => {
    fc.assert(
      fc.property(arbP, (c) => errorRatio(single, c) <= 1),
      { numRuns: 60 },
    );
  });
  it('every layout, three threads splitting the output blocks', () => {
    fc.assert(
      fc.property(arbP, (c) => errorRatio(threaded, c) <= 1),
      { numRuns: 60 },
    );
  });
  it('the model shapes: x·Wᵀ, its gradients and a 2-D weight gradient summed over the batch', () => {
    const cases: Case[] = [
      { batch: 1, M: 512, N: 288, K: 288, nred: 1, transA: false, transB: true, share: 'none', seed: 3 },
      { batch: 1, M: 288, N: 288, K: 512, nred: 1, transA: true, transB: false, share: 'none', seed: 4 },
      { batch: 1, M: 96, N: 64, K: 64, nred: 8, transA: true, transB: false, share: 'none', seed: 5 },
      { batch: 4, M: 64, N: 64, K: 16, nred: 1, transA: false, transB: true, share: 'none', seed: 6 },
    ];
    for (const c of cases) expect(errorRatio(threaded, c), JSON.stringify(c)).toBeLessThanOrEqual(1);
  });
});

describe('a broken gemm fails the property', () => {
  for (const mutant of ['overwrite', 'edge-cols', 'swap-halves'] as GemmMutant[]) {
    it(mutant, async () => {
      const b = new FastBackend({ threads: 2, parallelMinWork: 0, mutant });
      try {
        const r = fc.check(
          fc.property(arbP, (c) => errorRatio(b, c) <= 1),
          { numRuns: 60 },
        );
        expect(r.failed, `mutant ${mutant} survived`).toBe(true);
      } finally {
        await b.close();
      }
    });
  }
});

describe('fast backend storage and threads', () => {
  it('reuses freed blocks by size class and keeps contents across memory growth', async () => {
    const b = new FastBackend({ threads: 1 });
    const x = b.alloc('f32', 1000);
    b.upload(
      x,
      Float32Array.from({ length: 1000 }, (_, i) => i),
    );
    const y = b.alloc('i32', 10);
    b.free(y);
    const z = b.alloc('i32', 12); // same 64-byte class
    expect((z as unknown as { offset: number }).offset).toBe((y as unknown as { offset: number }).offset);
    const big = b.alloc('f32', 16 * 2 ** 20); // 64 MiB: grows the memory
    expect(b.readSync(x)[999]).toBe(999);
    const f = b.alloc('f64', 3);
    b.upload(f, new Float64Array([1.5, 2.5, 3.5]));
    expect([...b.readSync(f)]).toEqual([1.5, 2.5, 3.5]);
    expect(b.memory().buffers).toBe(4);
    for (const s of [x, z, big, f]) b.free(s);
    expect(b.memory().buffers).toBe(0);
    await b.close();
  });
  it('a closed pool refuses work', async () => {
    const b = new FastBackend({ threads: 2, parallelMinWork: 0 });
    await b.close();
    const s = b.alloc('f32', 4);
    expect(() =>
      b.run(matmulK, [s, s], [s], {
        ...params({ batch: 1, M: 2, N: 2, K: 1, nred: 1, transA: false, transB: false, share: 'none', seed: 1 }),
      }),
    ).toThrow('thread pool was closed');
  });
  it('HEED_THREADS is checked', () => {
    const old = process.env.HEED_THREADS;
    try {
      process.env.HEED_THREADS = '3';
      expect(defaultThreads()).toBe(3);
      process.env.HEED_THREADS = 'two';
      expect(() => defaultThreads()).toThrow('HEED_THREADS: expected a whole number of threads from 1 to 256, got "two"');
    } finally {
      if (old === undefined) delete process.env.HEED_THREADS;
      else process.env.HEED_THREADS = old;
    }
  });
  it('workers do not keep a process alive', () => {
    const code = `import { FastBackend } from './src/backend/fast/fast.ts';
import { matmulK } from './src/ops/matmul.ts';
const b = new FastBackend({ threads: 2, parallelMinWork: 0 });
const s = b.alloc('f32', 64 * 64);
b.run(matmulK, [s, s], [s], { batch: 1, M: 64, N: 64, K: 64, nred: 1, transA: false, transB: false, aZ: 0, bZ: 0, aR: 0, bR: 0, kernel: 'auto' });
console.log('done');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: process.cwd(),
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('done');
    expect(r.status).toBe(0);
  });
  it('await close() settles in a process with nothing else to do', () => {
    const code = `import { FastBackend } from './src/backend/fast/fast.ts';
const b = new FastBackend({ threads: 3 });
await b.close();
console.log('closed');`;
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: process.cwd(),
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe('closed');
    expect(r.status).toBe(0);
  });
});

describe('the f32x4 exp the softmax kernels use', () => {
  it('is within 2.5e-7 relative of Math.exp over the range softmax meets', () => {
    const f = new Fn('exp4', ['i32', 'i32']);
    const t = expTemps(f);
    f.get(1).get(0).loadV();
    exp4(f, t);
    f.storeV();
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const inst = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes([f], 1, 1)), { env: { memory } });
    const run = inst.exports.exp4 as (src: number, dst: number) => void;
    const mem = new Float32Array(memory.buffer);
    fc.assert(
      fc.property(fc.array(fc.float({ min: -80, max: 80, noNaN: true }), { minLength: 4, maxLength: 4 }), (xs) => {
        mem.set(xs, 0);
        run(0, 16);
        return xs.every((x, i) => Math.abs(mem[4 + i]! - Math.exp(Math.fround(x))) <= 2.5e-7 * Math.exp(Math.fround(x)));
      }),
      { numRuns: 300 },
    );
  });
});

describe('fast backend heap', () => {
  // Work whose shapes keep changing frees blocks of sizes it never asks for again: they must be
  // reused (a larger pooled block serves a smaller tensor) instead of the heap filling up. With
  // reuse of a size class's own blocks only (the allocator before), this loop runs out of its 48 MiB.
  it('reuses pooled blocks of other sizes: ever-new shapes run in a small heap', async () => {
    const b = new FastBackend({ threads: 1, maxBytes: 48 << 20 });
    try {
      for (let i = 0; i < 400; i++) {
        const n = (1 << 20) + ((i * 7919) % 400) * 4096; // 4–10 MiB of f32, a new size class most times
        const a = b.alloc('f32', n);
        const c = b.alloc('f32', n >> 1);
        b.free(a);
        b.free(c);
      }
      expect(b.memory().buffers).toBe(0);
      // what cannot fit is refused with the heap's figures, not a wasm trap
      expect(() => b.alloc('f32', 16 << 20)).toThrow(
        /a tensor of 16777216 f32 does not fit in the 0\.05 GiB heap \(0\.00 GiB live, 0\.0\d GiB pooled/,
      );
    } finally {
      await b.close();
    }
  });
});
