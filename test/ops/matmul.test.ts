import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { GpuCaps } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import type { WebGPUBackend } from '../../src/backend/webgpu/webgpu.ts';
import { fromArray } from '../../src/core/tensor.ts';
import { type MatmulKernel, type MatmulP, matmul, matmulEntry, matmulPath } from '../../src/ops/matmul.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, arbInput, compareBackends, gradError, numelOf } from '../helpers/gradcheck.ts';

const TRANS = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;
/** Which operands carry a batch: both, only a (b broadcasts), only b, neither. */
type BatchMode = 'both' | 'a' | 'b' | 'none';

/** Stored shapes for op(A) = [M, K], op(B) = [K, N]. */
function shapes(M: number, K: number, N: number, tA: boolean, tB: boolean, batch: number[], mode: BatchMode): [number[], number[]] {
  const a = tA ? [K, M] : [M, K];
  const b = tB ? [N, K] : [K, N];
  return [mode === 'both' || mode === 'a' ? [...batch, ...a] : a, mode === 'both' || mode === 'b' ? [...batch, ...b] : b];
}

/** Deterministic values in [-1, 1). */
function values(n: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 31 - 1;
  });
}
const input = (shape: number[], seed: number): Input => ({ shape, data: values(numelOf(shape), seed) });

describe('matmul forward values', () => {
  const a = () => fromArray([1, 2, 3, 4], [2, 2], { backend: cpu });
  const b = () => fromArray([5, 6, 7, 8], [2, 2], { backend: cpu });
  it('2-D products with every transpose flag', () => {
    expect([...matmul(a(), b()).dataSync()]).toEqual([19, 22, 43, 50]);
    expect([...matmul(a(), b(), { transA: true }).dataSync()]).toEqual([26, 30, 38, 44]);
    expect([...matmul(a(), b(), { transB: true }).dataSync()]).toEqual([17, 23, 39, 53]);
    expect([...matmul(a(), b(), { transA: true, transB: true }).dataSync()]).toEqual([23, 31, 34, 46]);
  });
  it('non-square, batched and broadcast', () => {
    const x = fromArray([1, 2, 3, 4, 5, 6], [1, 2, 3], { backend: cpu }); // [[1,2,3],[4,5,6]]
    const w = fromArray([1, 0, 1, 0, 1, 0], [2, 3], { backend: cpu }); // rows [1,0,1], [0,1,0]
    const y = matmul(x, w, { transB: true });
    expect(y.shape).toEqual([1, 2, 2]);
    expect([...y.dataSync()]).toEqual([4, 2, 10, 5]);
    const xb = fromArray([1, 2, 3, 4, 5, 6, 7, 8], [2, 2, 2], { backend: cpu });
    const id = fromArray([0, 1, 1, 0], [2, 2], { backend: cpu }); // swaps columns / rows
    expect([...matmul(xb, id).dataSync()]).toEqual([2, 1, 4, 3, 6, 5, 8, 7]);
    expect([...matmul(id, xb).dataSync()]).toEqual([3, 4, 1, 2, 7, 8, 5, 6]);
    expect(matmul(id, xb).shape).toEqual([2, 2, 2]);
  });
  it('K = 0 gives zeros', () => {
    const e = matmul(fromArray([], [2, 0], { backend: cpu }), fromArray([], [0, 3], { backend: cpu }));
    expect([...e.dataSync()]).toEqual([0, 0, 0, 0, 0, 0]);
  });
  it('(A·B)ᵀ = Bᵀ·Aᵀ through the flags', () => {
    const A = fromArray(values(15, 3), [3, 5], { backend: cpu, dtype: 'f64' });
    const B = fromArray(values(20, 4), [5, 4], { backend: cpu, dtype: 'f64' });
    const c = matmul(A, B).dataSync();
    const d = matmul(B, A, { transA: true, transB: true }).dataSync();
    for (let m = 0; m < 3; m++) for (let n = 0; n < 4; n++) expect(d[n * 3 + m]).toBeCloseTo(c[m * 4 + n]!, 12);
  });
  it('errors name the shapes', () => {
    const x = fromArray(values(6, 1), [2, 3], { backend: cpu });
    const y = fromArray(values(8, 2), [2, 4], { backend: cpu });
    expect(() => matmul(x, y)).toThrow('matmul: inner dimensions differ (3 vs 2) in [2, 3] · [2, 4]');
    expect(() => matmul(x, y, { transA: true })).not.toThrow();
    const p = fromArray(values(12, 1), [2, 2, 3], { backend: cpu });
    const q = fromArray(values(18, 1), [3, 3, 2], { backend: cpu });
    expect(() => matmul(p, q)).toThrow('matmul: batch dimensions [2] and [3] differ in [2, 2, 3] · [3, 3, 2]');
    expect(() => matmul(fromArray([1, 2], [2], { backend: cpu }), x)).toThrow('matmul: both operands need rank ≥ 2, got [2] · [2, 3]');
    const i = fromArray([1, 2, 3, 4, 5, 6], [3, 2], { backend: cpu, dtype: 'i32' });
    expect(() => matmul(x, i)).toThrow(/matmul: expected a float tensor, got i32/);
  });
});

describe('matmul gradients (f64 finite differences)', () => {
  const dim = fc.integer({ min: 1, max: 4 });
  for (const [tA, tB] of TRANS) {
    for (const mode of ['none', 'both', 'a', 'b'] as const) {
      it(`transA=${tA} transB=${tB} batch=${mode}`, () => {
        const arb = fc
          .tuple(dim, dim, dim, fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 1, maxLength: 2 }))
          .chain(([M, K, N, batch]) => {
            const [sa, sb] = shapes(M, K, N, tA, tB, batch, mode);
            return fc.tuple(arbInput(sa), arbInput(sb));
          });
        fc.assert(
          fc.property(arb, ([a, b]) => {
            expect(gradError(([x, y]) => matmul(x!, y!, { transA: tA, transB: tB }), [a, b])).toBeLessThan(1e-6);
          }),
          { numRuns: 6 },
        );
      });
    }
  }
});

// Shapes [M, K, N] off every tile size (8, 16, 64; vec4 axes) plus ones that take the vec4 paths.
const SMALL: [number, number, number][] = [
  [1, 1, 1],
  [3, 17, 5],
  [17, 63, 65],
  [65, 3, 129],
  [17, 64, 68],
  [33, 12, 64],
];
const LARGE: [number, number, number] = [257, 131, 190];
const LARGE4: [number, number, number] = [257, 132, 192];

forBackends('matmul agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  // f32 accumulation over K terms: error ≈ sqrt(K)·2⁻²⁴·max|a|·max|b| per term-scale, with |a|, |b| ≤ 1;
  // relMax divides by max(1, max|C|), so bound at 2e-6·sqrt(contraction length).
  const bound = (len: number) => 2e-6 * Math.sqrt(Math.max(len, 1)) + 1e-7;
  // on an adapter with subgroups 'auto' runs tile_v4_sg (shaders/matmul_sg.wgsl) where 'plain' runs tile_v4
  const kernels: MatmulKernel[] = kind === 'webgpu' ? ['naive', 'scalar', 'plain', 'auto'] : ['auto'];
  for (const kernel of kernels) {
    for (const [tA, tB] of TRANS) {
      it(`${kernel} kernel, transA=${tA} transB=${tB}`, async () => {
        let seed = 1;
        const cases: [number[], number[], number][] = [];
        for (const [M, K, N] of [...SMALL, LARGE, LARGE4]) cases.push([...shapes(M, K, N, tA, tB, [], 'none'), Math.max(M, K, N)]);
        for (const mode of ['both', 'a', 'b'] as const) cases.push([...shapes(9, 20, 12, tA, tB, [2, 3], mode), 6 * 20]);
        for (const [sa, sb, len] of cases) {
          const r = await compareBackends(
            ([x, y]) => matmul(x!, y!, { transA: tA, transB: tB, kernel }),
            [input(sa, seed++), input(sb, seed++)],
            getB(),
          );
          const tag = `${kernel} ${JSON.stringify([sa, sb])}`;
          expect(r.fwd, tag).toBeLessThan(bound(len));
          for (const g of r.grads) expect(g, tag).toBeLessThan(bound(len));
        }
      });
    }
  }
  it('llama-shaped broadcast: [2, 37, 96] · [40, 96]ᵀ', async () => {
    const r = await compareBackends(([x, w]) => matmul(x!, w!, { transB: true }), [input([2, 37, 96], 7), input([40, 96], 8)], getB());
    expect(r.fwd).toBeLessThan(bound(96));
    for (const g of r.grads) expect(g).toBeLessThan(bound(96));
  });
});

describe('matmul kernel selection', () => {
  const p = (over: Partial<MatmulP>): MatmulP => ({
    batch: 1,
    M: 8,
    N: 8,
    K: 8,
    nred: 1,
    transA: false,
    transB: false,
    aZ: 0,
    bZ: 0,
    aR: 0,
    bR: 0,
    kernel: 'auto',
    ...over,
  });
  it('picks the vec4 kernels only where the layout allows', () => {
    expect(matmulEntry(p({}))).toBe('tile_v4');
    expect(matmulEntry(p({ transA: true }))).toBe('tile_v4');
    expect(matmulEntry(p({ N: 9 }))).toBe('tile_s');
    expect(matmulEntry(p({ transB: true }))).toBe('tile_nt');
    expect(matmulEntry(p({ transB: true, K: 6 }))).toBe('tile_s');
    expect(matmulEntry(p({ transB: true, transA: true }))).toBe('tile_s');
    expect(matmulEntry(p({ kernel: 'naive' }))).toBe('naive');
    expect(matmulEntry(p({ kernel: 'scalar' }))).toBe('tile_s');
  });
  it('takes the subgroup kernel only on adapters with subgroups of ≥ 8 lanes, and never for plain', () => {
    const caps = (subgroups: boolean, subgroupMinSize: number): GpuCaps => ({
      subgroups,
      subgroupMinSize,
      f16: false,
      maxWorkgroupStorage: 32768,
      maxInvocations: 1024,
    });
    expect(matmulEntry(p({}), caps(true, 8))).toBe('tile_v4_sg');
    expect(matmulEntry(p({ transA: true }), caps(true, 32))).toBe('tile_v4_sg');
    expect(matmulEntry(p({}), caps(true, 4))).toBe('tile_v4');
    expect(matmulEntry(p({}), caps(false, 8))).toBe('tile_v4');
    expect(matmulEntry(p({ kernel: 'plain' }), caps(true, 8))).toBe('tile_v4');
    expect(matmulEntry(p({ N: 9 }), caps(true, 8))).toBe('tile_s');
    expect(matmulEntry(p({ transB: true }), caps(true, 8))).toBe('tile_nt');
  });
});

describe('matmul path for x·Wᵀ on webgpu', () => {
  it('transposes a kept weight from 16 rows, any weight from 128 rows; tile_nt below', async () => {
    const b = await gpu();
    const w = fromArray(new Float32Array(64 * 32), [64, 32], { backend: b });
    const x = (m: number) => fromArray(new Float32Array(m * 32), [m, 32], { backend: b });
    // lavapipe offers subgroups of 8 lanes: the vec4 kernel is its subgroup variant
    const v4 = (b as WebGPUBackend).caps.subgroupMinSize >= 8 ? 'tile_v4_sg' : 'tile_v4';
    expect(matmulPath(x(32), w, { transB: true })).toBe('tile_nt');
    expect(matmulPath(x(128), w, { transB: true })).toBe(`transpose + ${v4}`);
    expect(matmulPath(x(128), w, { transB: true, kernel: 'plain' })).toBe('transpose + tile_v4');
    expect(matmulPath(x(128), fromArray(new Float32Array(32 * 64), [32, 64], { backend: b }))).toBe(v4);
    w.keep();
    expect(matmulPath(x(8), w, { transB: true })).toBe('tile_nt');
    expect(matmulPath(x(16), w, { transB: true })).toBe(`transpose + ${v4}`);
    // the CPU backend never transposes into scratch
    const cw = fromArray(new Float32Array(64 * 32), [64, 32], { backend: cpu }).keep();
    expect(matmulPath(fromArray(new Float32Array(128 * 32), [128, 32], { backend: cpu }), cw, { transB: true })).toBe('tile_nt');
    cw.dispose();
    w.dispose();
  });
});
