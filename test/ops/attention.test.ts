import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backend/backend.ts';
import { cpu } from '../../src/backend/cpu/cpu.ts';
import { type Tensor, fromArray, noGrad, scope } from '../../src/core/tensor.ts';
import { type AttentionLayout, type AttentionOptions, attention, attentionTuning } from '../../src/ops/attention.ts';
import { permute } from '../../src/ops/shape.ts';
import { forBackends, gpu } from '../helpers/backends.ts';
import { type Input, compareBackends, gradError, relMax } from '../helpers/gradcheck.ts';

interface Case {
  B: number;
  Hq: number;
  Hkv: number;
  Tq: number;
  Tk: number;
  D: number;
  /** undefined: the default Tk - Tq */
  off?: number;
  /** [B, Tk] of 0/1, or none */
  mask?: number[];
}

/** Deterministic pseudo-random data in [-amp, amp] (big shapes would make fast-check slow). */
function noise(n: number, seed: number, amp = 1): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * amp;
  });
}

/** Readable reference: the full Tq × Tk score matrix, -Infinity where masked, softmax, P·V. */
function naive(c: Case, q: number[], k: number[], v: number[], scale = 1 / Math.sqrt(c.D)): number[] {
  const { B, Hq, Hkv, Tq, Tk, D } = c;
  const off = c.off ?? Tk - Tq;
  const out = new Array<number>(B * Hq * Tq * D).fill(0);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < Hq; h++) {
      const kvh = Math.floor(h / (Hq / Hkv));
      const S = Array.from({ length: Tq }, (_, i) =>
        Array.from({ length: Tk }, (_, j) => {
          if (j > off + i || (c.mask && c.mask[b * Tk + j] === 0)) return -Infinity;
          let s = 0;
          for (let d = 0; d < D; d++) s += q[((b * Hq + h) * Tq + i) * D + d]! * k[((b * Hkv + kvh) * Tk + j) * D + d]!;
          return s * scale;
        }),
      );
      for (let i = 0; i < Tq; i++) {
        const m = Math.max(...S[i]!);
        if (m === -Infinity) continue; // no visible key: the row stays 0
        const e = S[i]!.map((s) => Math.exp(s - m));
        const z = e.reduce((a, x) => a + x, 0);
        for (let j = 0; j < Tk; j++) {
          for (let d = 0; d < D; d++) out[((b * Hq + h) * Tq + i) * D + d]! += (e[j]! / z) * v[((b * Hkv + kvh) * Tk + j) * D + d]!;
        }
      }
    }
  }
  return out;
}

/** Inputs in the given layout; the data is noise, so no permuting is needed between layouts. */
function inputsOf(c: Case, seed: number, amp = 1, layout: AttentionLayout = 'bhtd'): Input[] {
  const qs = layout === 'bhtd' ? [c.B, c.Hq, c.Tq, c.D] : [c.B, c.Tq, c.Hq, c.D];
  const ks = layout === 'bhtd' ? [c.B, c.Hkv, c.Tk, c.D] : [c.B, c.Tk, c.Hkv, c.D];
  const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const ins: Input[] = [
    { shape: qs, data: noise(n(qs), seed, amp) },
    { shape: ks, data: noise(n(ks), seed + 1, amp) },
    { shape: ks, data: noise(n(ks), seed + 2, amp) },
  ];
  if (c.mask) ins.push({ shape: [c.B, c.Tk], data: c.mask, int: true });
  return ins;
}

const opts = (c: Case, xs: Tensor[], layout?: AttentionLayout): AttentionOptions => ({ causalOffset: c.off, keyMask: xs[3], layout });

/** The 'bthd' path spelled with the default: permute q/k/v to [B, H, T, D], attend, permute back. */
const viaBhtd = (c: Case, xs: Tensor[]): Tensor => {
  const [q, k, v] = xs.slice(0, 3).map((x) => permute(x, [0, 2, 1, 3]));
  return permute(attention(q!, k!, v!, opts(c, xs)), [0, 2, 1, 3]);
};
const bthd = (c: Case, xs: Tensor[]): Tensor => attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs, 'bthd'));

/** Output and input gradients (backward with fixed weights) of f on the CPU in f64. */
function outAndGrads(f: (xs: Tensor[]) => Tensor, ins: Input[]): number[][] {
  return scope(() => {
    const xs = ins.map((i) => fromArray(i.data, i.shape, { dtype: i.int ? 'i32' : 'f64', backend: cpu, requiresGrad: !i.int }));
    const o = f(xs);
    o.backward(fromArray(noise(o.size, 99), o.shape, { dtype: 'f64', backend: cpu }));
    const res = [[...o.dataSync()], ...xs.slice(0, 3).map((x) => [...x.grad!.dataSync()])];
    for (const x of xs) x.grad?.dispose();
    return res;
  });
}

/** A mask with 0s on the right (right padding), the left (left padding) or at random. */
const arbMask = (B: number, Tk: number) => fc.array(fc.integer({ min: 0, max: 1 }), { minLength: B * Tk, maxLength: B * Tk });

/** Random GQA cases: batch and kv heads 1..2, group 1..3, the given row/dim ranges, default,
 *  explicit or decode offsets, with or without a key mask. */
function arbCaseWith(r: { maxTq: number; maxTk: number; D: fc.Arbitrary<number>; offMin: number; offMax: number }): fc.Arbitrary<Case> {
  return fc
    .record({
      B: fc.integer({ min: 1, max: 2 }),
      Hkv: fc.integer({ min: 1, max: 2 }),
      G: fc.integer({ min: 1, max: 3 }),
      Tq: fc.integer({ min: 1, max: r.maxTq }),
      Tk: fc.integer({ min: 1, max: r.maxTk }),
      D: r.D,
      offMode: fc.constantFrom('default', 'explicit', 'decode'),
      offPick: fc.integer({ min: r.offMin, max: r.offMax }),
      masked: fc.boolean(),
    })
    .chain((c) => {
      const Tq = c.offMode === 'decode' ? 1 : c.Tq;
      const off = c.offMode === 'default' ? undefined : c.offMode === 'decode' ? c.Tk - 1 : c.offPick;
      const base: Case = { B: c.B, Hq: c.Hkv * c.G, Hkv: c.Hkv, Tq, Tk: c.Tk, D: c.D, off };
      return c.masked ? arbMask(c.B, c.Tk).map((mask): Case => ({ ...base, mask })) : fc.constant(base);
    });
}

const arbCase = arbCaseWith({ maxTq: 4, maxTk: 5, D: fc.integer({ min: 1, max: 4 }), offMin: -1, offMax: 5 });

describe('attention forward values', () => {
  it('one query, two keys: a hand-computed softmax average', () => {
    // q·k = [1, 0], scale 1: weights e/(e+1), 1/(e+1)
    const q = fromArray([1, 0], [1, 1, 1, 2], { backend: cpu });
    const k = fromArray([1, 0, 0, 1], [1, 1, 2, 2], { backend: cpu });
    const v = fromArray([10, 0, 0, 10], [1, 1, 2, 2], { backend: cpu });
    const o = [...attention(q, k, v, { scale: 1 }).dataSync()];
    const w = Math.E / (Math.E + 1);
    expect(o[0]).toBeCloseTo(10 * w, 5);
    expect(o[1]).toBeCloseTo(10 * (1 - w), 5);
  });

  it('causal prefill: row 0 copies v0, later rows average over the prefix', () => {
    const q = fromArray([0, 0, 0], [1, 1, 3, 1], { backend: cpu }); // equal scores
    const k = fromArray([1, 2, 3], [1, 1, 3, 1], { backend: cpu });
    const v = fromArray([3, 6, 9], [1, 1, 3, 1], { backend: cpu });
    expect([...attention(q, k, v).dataSync()]).toEqual([3, 4.5, 6]);
  });

  it('matches the naive composition (explicit scores, mask, softmax, weighted sum)', () => {
    fc.assert(
      fc.property(arbCase, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
        const ins = inputsOf(c, seed, 2);
        const xs = ins.map((i) => fromArray(i.data, i.shape, { dtype: i.int ? 'i32' : 'f64', backend: cpu }));
        const got = attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs)).dataSync();
        expect(relMax(naive(c, ins[0]!.data, ins[1]!.data, ins[2]!.data), got)).toBeLessThan(1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it('fully padded or negative-position rows output 0; f32 and i32 masks agree', () => {
    const c: Case = { B: 2, Hq: 2, Hkv: 1, Tq: 3, Tk: 3, D: 2, off: -1, mask: [0, 0, 0, 1, 0, 1] };
    const ins = inputsOf(c, 7);
    const [q, k, v] = ins.map((i) => fromArray(i.data, i.shape, { backend: cpu }));
    const oi = attention(q!, k!, v!, { causalOffset: -1, keyMask: fromArray(c.mask!, [2, 3], { dtype: 'i32', backend: cpu }) }).dataSync();
    const of = attention(q!, k!, v!, { causalOffset: -1, keyMask: fromArray(c.mask!, [2, 3], { backend: cpu }) }).dataSync();
    expect([...oi]).toEqual([...of]);
    expect([...oi.slice(0, 12)].every((x) => x === 0)).toBe(true); // batch 0: every key padded
    // batch 1, row 0 sits at position -1: sees nothing
    expect([...oi.slice(12, 14)]).toEqual([0, 0]);
    expect(relMax(naive(c, ins[0]!.data, ins[1]!.data, ins[2]!.data), oi)).toBeLessThan(1e-6);
  });
});

describe('attention gradients (f64 finite differences)', () => {
  it('dq, dk, dv over random GQA shapes, offsets and masks', () => {
    fc.assert(
      fc.property(arbCase, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
        const err = gradError((xs) => attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs)), inputsOf(c, seed, 1.5));
        expect(err).toBeLessThan(1e-6);
      }),
      { numRuns: 80 },
    );
  });

  it('a custom scale, and only some inputs requiring grad', () => {
    const c: Case = { B: 1, Hq: 4, Hkv: 2, Tq: 3, Tk: 4, D: 3 };
    expect(gradError((xs) => attention(xs[0]!, xs[1]!, xs[2]!, { scale: 0.7 }), inputsOf(c, 3))).toBeLessThan(1e-6);
    const [q, k, v] = inputsOf(c, 5).map((i) => fromArray(i.data, i.shape, { dtype: 'f64', backend: cpu }));
    k!.requiresGrad = true;
    attention(q!, k!, v!).backward(fromArray(noise(4 * 3 * 3, 9), [1, 4, 3, 3], { dtype: 'f64', backend: cpu }));
    expect(k!.grad?.shape).toEqual([1, 2, 4, 3]);
    expect(q!.grad).toBeNull();
    expect(v!.grad).toBeNull();
  });

  it('frees what it saves: no live buffers after backward or under noGrad', () => {
    const before = cpu.memory().buffers;
    const c: Case = { B: 1, Hq: 2, Hkv: 1, Tq: 3, Tk: 3, D: 2 };
    const xs = inputsOf(c, 2).map((i) => fromArray(i.data, i.shape, { backend: cpu, requiresGrad: true }));
    const w = fromArray(noise(12, 1), [1, 2, 3, 2], { backend: cpu });
    const o = attention(xs[0]!, xs[1]!, xs[2]!);
    o.backward(w);
    noGrad(() => attention(xs[0]!, xs[1]!, xs[2]!)).dispose();
    for (const x of [...xs, o, w]) {
      x.grad?.dispose();
      x.dispose();
    }
    expect(cpu.memory().buffers).toBe(before);
  });

  it('a padded key gets zero dk and dv, a blind row zero dq', () => {
    const c: Case = { B: 1, Hq: 2, Hkv: 1, Tq: 2, Tk: 3, D: 2, off: -1, mask: [1, 0, 1] };
    const [q, k, v] = inputsOf(c, 11).map((i) => fromArray(i.data, i.shape, { dtype: 'f64', backend: cpu, requiresGrad: true }));
    const mask = fromArray(c.mask!, [1, 3], { dtype: 'i32', backend: cpu });
    attention(q!, k!, v!, { causalOffset: -1, keyMask: mask }).backward(
      fromArray(noise(8, 4), [1, 2, 2, 2], { dtype: 'f64', backend: cpu }),
    );
    const dk = k!.grad!.dataSync();
    const dv = v!.grad!.dataSync();
    expect([dk[2], dk[3], dv[2], dv[3]]).toEqual([0, 0, 0, 0]);
    const dq = q!.grad!.dataSync();
    expect([dq[0], dq[1], dq[4], dq[5]]).toEqual([0, 0, 0, 0]); // row 0 of each head sits at -1
  });
});

describe("attention layout 'bthd' ([B, T, H, D])", () => {
  it('equals permuting to [B, H, T, D], the default, and permuting back: forward and gradients', () => {
    fc.assert(
      fc.property(arbCase, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
        const ins = inputsOf(c, seed, 2, 'bthd');
        const want = outAndGrads((xs) => viaBhtd(c, xs), ins);
        const got = outAndGrads((xs) => bthd(c, xs), ins);
        // the same arithmetic in the same order, only the addressing differs
        got.forEach((g, i) => expect(relMax(want[i]!, g), `output ${i}`).toBe(0));
      }),
      { numRuns: 60 },
    );
  });

  it('dq, dk, dv by f64 finite differences', () => {
    fc.assert(
      fc.property(arbCase, fc.integer({ min: 1, max: 1000 }), (c, seed) => {
        expect(gradError((xs) => bthd(c, xs), inputsOf(c, seed, 1.5, 'bthd'))).toBeLessThan(1e-6);
      }),
      { numRuns: 60 },
    );
  });

  it('returns [B, Tq, Hq, D]; decode against a bigger cache ignores keys past the offset', () => {
    const c: Case = { B: 2, Hq: 4, Hkv: 2, Tq: 1, Tk: 6, D: 3, off: 2 };
    const ins = inputsOf(c, 4, 1, 'bthd');
    const [q, k, v] = ins.map((i) => fromArray(i.data, i.shape, { dtype: 'f64', backend: cpu }));
    const o = attention(q!, k!, v!, { causalOffset: 2, layout: 'bthd' });
    expect(o.shape).toEqual([2, 1, 4, 3]);
    // the cache cut to its first 3 positions (time is axis 1) gives the same output
    const cut = (x: Tensor) =>
      fromArray(
        [0, 1].flatMap((b) => [...x.dataSync()].slice(b * 36, b * 36 + 18)),
        [2, 3, 2, 3],
        { dtype: 'f64', backend: cpu },
      );
    expect([...attention(q!, cut(k!), cut(v!), { layout: 'bthd' }).dataSync()]).toEqual([...o.dataSync()]);
  });
});

async function decodeConsistency(b: Backend, c: Case, seed: number): Promise<number> {
  const ins = inputsOf(c, seed, 2);
  const [q, k, v] = ins.map((i) => fromArray(i.data, i.shape, { backend: b }));
  const mask = c.mask ? fromArray(c.mask, [c.B, c.Tk], { dtype: 'i32', backend: b }) : undefined;
  const full = await noGrad(() => attention(q!, k!, v!, { keyMask: mask })).data();
  const { B, Hq, Hkv, Tk: T, D } = c;
  const row = (data: number[], H: number, t0: number, t1: number) => {
    const out: number[] = [];
    for (let bh = 0; bh < B * H; bh++) out.push(...data.slice((bh * T + t0) * D, (bh * T + t1) * D));
    return out;
  };
  let worst = 0;
  for (let t = 0; t < T; t++) {
    const qt = fromArray(row(ins[0]!.data, Hq, t, t + 1), [B, Hq, 1, D], { backend: b });
    const kt = fromArray(row(ins[1]!.data, Hkv, 0, t + 1), [B, Hkv, t + 1, D], { backend: b });
    const vt = fromArray(row(ins[2]!.data, Hkv, 0, t + 1), [B, Hkv, t + 1, D], { backend: b });
    const mt = c.mask
      ? fromArray(
          c.mask.filter((_, i) => i % T <= t),
          [B, t + 1],
          { dtype: 'i32', backend: b },
        )
      : undefined;
    // keys 0..t with the default offset, and the whole cache with causalOffset = t
    const step = await attention(qt, kt, vt, { keyMask: mt }).data();
    const cached = await attention(qt, k!, v!, { causalOffset: t, keyMask: mask }).data();
    const want = row([...full], Hq, t, t + 1);
    worst = Math.max(worst, relMax(want, step), relMax(want, cached));
    for (const x of [qt, kt, vt, mt]) x?.dispose();
  }
  for (const x of [q, k, v, mask]) x?.dispose();
  return worst;
}

forBackends('attention agrees with the cpu reference', (getB, kind) => {
  beforeAll(async () => {
    if (kind === 'webgpu') await gpu();
  });
  // f32 on both sides; the GPU sums in a different order (tiles of 64 keys, online rescaling).
  const FWD = 1e-5;
  const BWD = 2e-5;

  it('decode: full-sequence row t equals Tq = 1 at causalOffset t', async () => {
    const w1 = await decodeConsistency(getB(), { B: 2, Hq: 4, Hkv: 2, Tq: 9, Tk: 9, D: 5 }, 21);
    const w2 = await decodeConsistency(
      getB(),
      { B: 2, Hq: 3, Hkv: 1, Tq: 7, Tk: 7, D: 4, mask: [0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0] },
      22,
    );
    expect(Math.max(w1, w2)).toBeLessThan(FWD);
  });

  /** Runs fn with some attention kernel-selection knobs set, restoring them afterwards. */
  async function withTuning(t: Partial<typeof attentionTuning>, fn: () => Promise<void>): Promise<void> {
    const saved = { ...attentionTuning };
    Object.assign(attentionTuning, t);
    try {
      await fn();
    } finally {
      Object.assign(attentionTuning, saved);
    }
  }

  // Small head dims take the barrier-free kernels: one thread per row, or (D % 4 == 0, enough
  // rows, subgroups) the subgroup block kernels; force each family in turn, and the workgroup
  // kernels too.
  const modes = [
    ['row kernels', { rowMaxD: 64, blockMinT: Infinity }],
    ['subgroup block kernels where D % 4 == 0', { rowMaxD: 64, blockMinT: 1 }],
    ['workgroup kernels', { rowMaxD: 0 }],
  ] as const;
  for (const [mode, t] of modes) {
    it(`small random cases fwd/bwd (${mode})`, async () => {
      await withTuning(t, async () => {
        await fc.assert(
          fc.asyncProperty(arbCase, fc.integer({ min: 1, max: 1000 }), async (c, seed) => {
            const r = await compareBackends((xs) => attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs)), inputsOf(c, seed, 2), getB());
            expect(r.fwd).toBeLessThan(FWD);
            for (const g of r.grads) expect(g).toBeLessThan(BWD);
          }),
          { numRuns: 20 },
        );
      });
    });
  }

  // The block kernels cover 8 rows per workgroup and broadcast vec4 chunks s and s + 8: rows not
  // a multiple of 8, several blocks per head, every chunk count 1..16 (D 4..64), offsets, masks.
  const arbBlockCase = arbCaseWith({
    maxTq: 20,
    maxTk: 24,
    // 1, 2, 3, 8, 9, 12, 16 vec4 chunks (each new D is a pipeline to compile), and two odd dims
    D: fc.constantFrom(4, 8, 12, 32, 36, 48, 64, 6, 9),
    offMin: -3,
    offMax: 24,
  });
  for (const layout of ['bhtd', 'bthd'] as const) {
    it(`block-sized random cases fwd/bwd, subgroup block kernels forced (${layout})`, async () => {
      await withTuning({ rowMaxD: 64, blockMinT: 1 }, async () => {
        await fc.assert(
          fc.asyncProperty(arbBlockCase, fc.integer({ min: 1, max: 1000 }), async (c, seed) => {
            const f = layout === 'bthd' ? (xs: Tensor[]) => bthd(c, xs) : (xs: Tensor[]) => attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs));
            const r = await compareBackends(f, inputsOf(c, seed, 2, layout), getB());
            expect(r.fwd).toBeLessThan(FWD);
            for (const g of r.grads) expect(g).toBeLessThan(BWD);
          }),
          { numRuns: 25 },
        );
      });
    });
  }

  it('decode Tq = 1 at an offset into a bigger cache, block kernels forced, D = 48', async () => {
    const c: Case = {
      B: 3,
      Hq: 6,
      Hkv: 2,
      Tq: 1,
      Tk: 45,
      D: 48,
      off: 30,
      mask: Array.from({ length: 135 }, (_, i) => (i % 45 >= 2 * Math.floor(i / 45) ? 1 : 0)),
    };
    await withTuning({ blockMinT: 1 }, async () => {
      const r = await compareBackends((xs) => bthd(c, xs), inputsOf(c, 12, 1, 'bthd'), getB());
      expect(r.fwd).toBeLessThan(FWD);
      for (const g of r.grads) expect(g).toBeLessThan(BWD);
    });
  });

  const big: [string, Case][] = [
    ['B=2 Hq=8 Hkv=4 T=129 D=8', { B: 2, Hq: 8, Hkv: 4, Tq: 129, Tk: 129, D: 8 }],
    ['B=2 Hq=8 Hkv=4 T=129 D=64', { B: 2, Hq: 8, Hkv: 4, Tq: 129, Tk: 129, D: 64 }],
    [
      'decode B=5 Hq=6 Hkv=2 Tq=1 Tk=150 D=16, left padding',
      {
        B: 5,
        Hq: 6,
        Hkv: 2,
        Tq: 1,
        Tk: 150,
        D: 16,
        mask: Array.from({ length: 750 }, (_, i) => (i % 150 >= 3 * Math.floor(i / 150) ? 1 : 0)),
      },
    ],
    [
      'chunked prefill Tq=70 Tk=133 D=130 with right padding',
      {
        B: 1,
        Hq: 2,
        Hkv: 1,
        Tq: 70,
        Tk: 133,
        D: 130,
        mask: Array.from({ length: 133 }, (_, i) => (i < 120 ? 1 : 0)),
      },
    ],
    ['size 1 everywhere', { B: 1, Hq: 1, Hkv: 1, Tq: 1, Tk: 1, D: 1 }],
    ['training-shaped B=2 Hq=6 Hkv=6 T=77 D=48 (block kernels, rows not a multiple of 8)', { B: 2, Hq: 6, Hkv: 6, Tq: 77, Tk: 77, D: 48 }],
    [
      'chunked prefill Tq=21 Tk=60 D=36 with left padding (block kernels)',
      {
        B: 2,
        Hq: 4,
        Hkv: 2,
        Tq: 21,
        Tk: 60,
        D: 36,
        mask: Array.from({ length: 120 }, (_, i) => (i % 60 >= 5 * Math.floor(i / 60) ? 1 : 0)),
      },
    ],
    ['odd head dim B=2 Hq=4 Hkv=2 T=33 D=6 (row kernels: D % 4 != 0)', { B: 2, Hq: 4, Hkv: 2, Tq: 33, Tk: 33, D: 6 }],
  ];
  for (const [name, c] of big) {
    it(name, async () => {
      const r = await compareBackends((xs) => attention(xs[0]!, xs[1]!, xs[2]!, opts(c, xs)), inputsOf(c, 5, 1), getB());
      expect(r.fwd).toBeLessThan(FWD);
      for (const g of r.grads) expect(g).toBeLessThan(BWD);
    });
  }

  describe("layout 'bthd'", () => {
    it('small random cases fwd/bwd', async () => {
      await fc.assert(
        fc.asyncProperty(arbCase, fc.integer({ min: 1, max: 1000 }), async (c, seed) => {
          const r = await compareBackends((xs) => bthd(c, xs), inputsOf(c, seed, 2, 'bthd'), getB());
          expect(r.fwd).toBeLessThan(FWD);
          for (const g of r.grads) expect(g).toBeLessThan(BWD);
        }),
        { numRuns: 20 },
      );
    });

    const bigBthd: [string, Case][] = [
      ['prefill B=2 Hq=8 Hkv=4 T=129 D=8', { B: 2, Hq: 8, Hkv: 4, Tq: 129, Tk: 129, D: 8 }],
      [
        'decode B=5 Hq=6 Hkv=2 Tq=1 at offset 97 of a 150-key cache, D=16, left padding',
        {
          B: 5,
          Hq: 6,
          Hkv: 2,
          Tq: 1,
          Tk: 150,
          D: 16,
          off: 97,
          mask: Array.from({ length: 750 }, (_, i) => (i % 150 >= 3 * Math.floor(i / 150) ? 1 : 0)),
        },
      ],
      ['decode Tq=1 D=96 (tiled kernel) at offset 40 of a 77-key cache', { B: 3, Hq: 4, Hkv: 1, Tq: 1, Tk: 77, D: 96, off: 40 }],
      [
        'chunked prefill Tq=70 Tk=133 D=130 offset 50, right padding',
        {
          B: 1,
          Hq: 2,
          Hkv: 1,
          Tq: 70,
          Tk: 133,
          D: 130,
          off: 50,
          mask: Array.from({ length: 133 }, (_, i) => (i < 110 ? 1 : 0)),
        },
      ],
      ['odd sizes B=3 Hq=3 Hkv=3 Tq=5 Tk=7 D=65 default offset', { B: 3, Hq: 3, Hkv: 3, Tq: 5, Tk: 7, D: 65 }],
      ['size 1 everywhere', { B: 1, Hq: 1, Hkv: 1, Tq: 1, Tk: 1, D: 1 }],
    ];
    for (const [name, c] of bigBthd) {
      it(name, async () => {
        const ins = inputsOf(c, 6, 1, 'bthd');
        const r = await compareBackends((xs) => bthd(c, xs), ins, getB());
        expect(r.fwd).toBeLessThan(FWD);
        for (const g of r.grads) expect(g).toBeLessThan(BWD);
        // and on this backend it matches the permuted default exactly (same kernels, same order)
        const b = getB();
        const run = async (f: (xs: Tensor[]) => Tensor) => {
          const xs = ins.map((i) => fromArray(i.data, i.shape, { dtype: i.int ? 'i32' : 'f32', backend: b }));
          const o = await noGrad(() => f(xs)).data();
          for (const x of xs) x.dispose();
          return o;
        };
        expect(relMax(await run((xs) => viaBhtd(c, xs)), await run((xs) => bthd(c, xs)))).toBe(0);
      });
    }
  });

  it('f32 key mask (passed as a float input)', async () => {
    const c: Case = { B: 2, Hq: 2, Hkv: 2, Tq: 5, Tk: 5, D: 3 };
    const ins = [...inputsOf(c, 8), { shape: [2, 5], data: [1, 1, 1, 0, 0, 0, 1, 1, 1, 1] }];
    const r = await compareBackends((xs) => attention(xs[0]!, xs[1]!, xs[2]!, { keyMask: xs[3] }), ins, getB());
    expect(r.fwd).toBeLessThan(FWD);
    for (const g of r.grads) expect(g).toBeLessThan(BWD);
  });
});

describe('attention errors', () => {
  const t = (shape: number[], dtype: 'f32' | 'i32' = 'f32') =>
    fromArray(new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(0), shape, { dtype, backend: cpu });
  it('names the op and the shapes', () => {
    expect(() => attention(t([1, 3, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]))).toThrow(
      'attention: Hq=3 query heads must be a multiple of Hkv=2 kv heads (q [1, 3, 2, 4], k [1, 2, 2, 4], v [1, 2, 2, 4])',
    );
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 3]), t([1, 2, 2, 3]))).toThrow(/head dim mismatch, q has D=4 but k has D=3/);
    expect(() => attention(t([2, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]))).toThrow(/batch mismatch, q has B=2 but k has B=1/);
    expect(() => attention(t([2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]))).toThrow(
      'attention: q [B, Hq, Tq, D] must have rank 4, got shape [2, 2, 4]',
    );
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 3, 4]))).toThrow(/k and v must have the same shape/);
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4], 'i32'))).toThrow(
      /attention: expected a float tensor, got i32/,
    );
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]), { keyMask: t([1, 3]) })).toThrow(
      'attention: keyMask must have shape [B, Tk] = [1, 2], got [1, 3]',
    );
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]), { causalOffset: 0.5 })).toThrow(
      /causalOffset must be an integer/,
    );
    expect(() => attention(t([1, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]), { layout: 'bthd' })).toThrow(
      'attention: q [B, Tq, Hq, D] must have rank 4, got shape [1, 2, 4]',
    );
    // time-major: k [B, Tk, Hkv, D] = [1, 2, 3, 4] has 3 kv heads, which 2 query heads cannot share
    expect(() => attention(t([1, 5, 2, 4]), t([1, 2, 3, 4]), t([1, 2, 3, 4]), { layout: 'bthd' })).toThrow(
      /Hq=2 query heads must be a multiple of Hkv=3 kv heads/,
    );
    expect(() => attention(t([1, 5, 2, 4]), t([1, 3, 2, 4]), t([1, 3, 2, 4]), { layout: 'bthd', keyMask: t([1, 2]) })).toThrow(
      'attention: keyMask must have shape [B, Tk] = [1, 3], got [1, 2]',
    );
    expect(() => attention(t([1, 2, 2, 4]), t([1, 2, 2, 4]), t([1, 2, 2, 4]), { layout: 'bsth' as AttentionLayout })).toThrow(
      "attention: layout must be 'bhtd' or 'bthd', got bsth",
    );
  });
});

describe('attention on webgpu', () => {
  beforeAll(async () => {
    await gpu();
  });
  it('rejects D > 256', async () => {
    const b = await gpu();
    const x = fromArray(new Float32Array(257), [1, 1, 1, 257], { backend: b });
    expect(() => attention(x, x, x)).toThrow('attention: head dim D=257 exceeds the WebGPU kernel limit 256');
  });
});
