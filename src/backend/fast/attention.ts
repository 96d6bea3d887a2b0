// Causal grouped-query attention for the fast CPU backend, as WebAssembly SIMD128 (the
// semantics, strides and parameters are src/ops/attention.ts's; its reference loops are the
// oracle). Vectors run along the head dim (D % 4 == 0), one query row (forward, dq) or key row
// (dk/dv) at a time, rows split across threads in contiguous ranges. exp is expf.ts's f32
// polynomial; log comes from JavaScript's Math (imported).
import { type ExpTemps, expScalar, expTemps } from './expf.ts';
import { GEMM_SCRATCH } from './gemm.ts';
import { Fn, type ImportFn } from './wasmEmit.ts';

export const ATTENTION_IMPORTS: ImportFn[] = [
  { name: 'exp', params: ['f64'], results: ['f64'] },
  { name: 'log', params: ['f64'], results: ['f64'] },
];
const LOG = 1;

/** The parameters after the pointers, in src/ops/attention.ts's `uniforms` order. */
const UNIFORMS = ['B', 'Hq', 'Hkv', 'Tq', 'Tk', 'D', 'scale', 'off', 'hasMask', 'maskFloat', 'qsB', 'qsH', 'qsT', 'ksB', 'ksH', 'ksT'] as const;
type U = Record<(typeof UNIFORMS)[number] | 'scratch' | 'tid' | 'nth', number>;

function signature(name: string, ptrs: string[]): { f: Fn; ptr: Record<string, number>; u: U } {
  const f = new Fn(name, Array(ptrs.length + UNIFORMS.length + 3).fill('i32') as 'i32'[]);
  const ptr = Object.fromEntries(ptrs.map((p, i) => [p, i]));
  const u = Object.fromEntries([...UNIFORMS, 'scratch', 'tid', 'nth'].map((n, i) => [n, ptrs.length + i])) as U;
  return { f, ptr, u };
}

/** Pushes Σ_d a[d]·b[d] (f32) for byte addresses in locals pa, pb; D elements, D % 4 == 0, D ≥ 4.
 *  With the head dim known when the module is written (t.dc), the loop is unrolled and the
 *  offsets become immediates. */
function dot(f: Fn, pa: number, pb: number, D: number, t: Temps): void {
  if (t.dc) {
    for (let c = 0; c < t.dc / 4; c++) {
      f.get(pa).loadV(16 * c).get(pb).loadV(16 * c).vmul();
      if (c > 0) f.vadd();
    }
    f.set(t.acc);
  } else {
    f.vzero().set(t.acc);
    f.get(pa).set(t.x);
    f.get(pb).set(t.y);
    f.get(D).set(t.n);
    f.loop(() => {
      f.get(t.acc).get(t.x).loadV().get(t.y).loadV().vmul().vadd().set(t.acc);
      f.get(t.x).i32(16).add().set(t.x);
      f.get(t.y).i32(16).add().set(t.y);
      f.get(t.n).i32(4).sub().tee(t.n).i32(0).gtS().brIf(0);
    });
  }
  f.get(t.acc).vlane(0).get(t.acc).vlane(1).fadd().get(t.acc).vlane(2).fadd().get(t.acc).vlane(3).fadd();
}

/** dst[d] += alpha · src[d] (alpha an f32 local). */
function axpy(f: Fn, dst: number, src: number, alpha: number, D: number, t: Temps): void {
  f.get(alpha).vsplat().set(t.acc);
  if (t.dc) {
    for (let c = 0; c < t.dc / 4; c++) f.get(dst).get(dst).loadV(16 * c).get(t.acc).get(src).loadV(16 * c).vmul().vadd().storeV(16 * c);
    return;
  }
  f.get(dst).set(t.x);
  f.get(src).set(t.y);
  f.get(D).set(t.n);
  f.loop(() => {
    f.get(t.x).get(t.x).loadV().get(t.acc).get(t.y).loadV().vmul().vadd().storeV();
    f.get(t.x).i32(16).add().set(t.x);
    f.get(t.y).i32(16).add().set(t.y);
    f.get(t.n).i32(4).sub().tee(t.n).i32(0).gtS().brIf(0);
  });
}

function zeroRow(f: Fn, dst: number, D: number, t: Temps): void {
  if (t.dc) {
    for (let c = 0; c < t.dc / 4; c++) f.get(dst).vzero().storeV(16 * c);
    return;
  }
  f.get(dst).set(t.x);
  f.get(D).set(t.n);
  f.loop(() => {
    f.get(t.x).vzero().storeV();
    f.get(t.x).i32(16).add().set(t.x);
    f.get(t.n).i32(4).sub().tee(t.n).i32(0).gtS().brIf(0);
  });
}

/** Pushes 1 when key j of batch b is visible through the mask (no mask: always; the mask is
 *  then not read, as the op binds q in its place). `on` is a scratch i32 local. */
function keyOn(f: Fn, u: U, mask: number, b: number, j: number, on: number): void {
  f.i32(1).set(on);
  f.get(u.hasMask).if(() => {
    f.get(mask).get(b).get(u.Tk).mul().get(j).add().i32(2).shl().add().loadI32();
    // an f32 mask counts -0 as 0
    f.i32(0x7fffffff).i32(-1).get(u.maskFloat).select().and().i32(0).ne().set(on);
  });
  f.get(on);
}

/** Byte address of element offset (b·sB + h·sH + t·sT) in tensor at byte address `base`. */
function rowAddr(f: Fn, base: number, sB: number, sH: number, sT: number, b: number, h: number, t: number): void {
  f.get(base).get(b).get(sB).mul().get(h).get(sH).mul().add().get(t).get(sT).mul().add().i32(2).shl().add();
}

/** Query row r of [B, Hq, Tq] → its batch b, head h, position i and the kv head of its group. */
function queryRow(f: Fn, u: U, r: number, b: number, h: number, i: number, kvh: number): void {
  f.get(r).get(u.Hq).get(u.Tq).mul().divU().set(b);
  f.get(r).get(u.Tq).divU().get(u.Hq).remU().set(h);
  f.get(r).get(u.Tq).remU().set(i);
  f.get(h).get(u.Hq).get(u.Hkv).divU().divU().set(kvh);
}

/** n = clamp(off + i + 1, 0, Tk): the keys query position i sees under the causal mask. */
function visibleKeys(f: Fn, u: U, i: number, n: number): void {
  f.get(u.off).get(i).add().i32(1).add().set(n);
  f.i32(0).get(n).get(n).i32(0).ltS().select().set(n);
  f.get(u.Tk).get(n).get(n).get(u.Tk).gtS().select().set(n);
}

/** Splits R rows into this thread's [r0, r1). */
function range(f: Fn, u: U, R: () => void, r0: number, r1: number): void {
  f.get(u.tid);
  R();
  f.mul().get(u.nth).divU().set(r0);
  f.get(u.tid).i32(1).add();
  R();
  f.mul().get(u.nth).divU().set(r1);
}

interface Temps {
  acc: number;
  x: number;
  y: number;
  n: number;
  on: number;
  e: ExpTemps;
  /** The head dim this function is written for (0: any, read at run time). */
  dc: number;
}

function temps(f: Fn, dc: number): Temps {
  return { acc: f.local('v128'), x: f.local('i32'), y: f.local('i32'), n: f.local('i32'), on: f.local('i32'), e: expTemps(f), dc };
}

/** Head dims with their own unrolled functions (`attn_fwd_d32`, ...); src/ops/attention.ts
 *  picks them by name. Others run the generic loops. */
export const ATTENTION_HEAD_DIMS = [8, 16, 32, 48, 64];
const suffix = (dc: number) => (dc ? `_d${dc}` : '');

/** attn_fwd(q, k, v, mask, o, lse, ...uniforms, scratch, tid, nth). Scores of a row go to this
 *  thread's scratch (Tk floats), then exp-weighted rows of v accumulate into o. */
function fwd(dc: number): Fn {
  const { f, ptr, u } = signature(`attn_fwd${suffix(dc)}`, ['q', 'k', 'v', 'mask', 'o', 'lse']);
  const t = temps(f, dc);
  const on = t.on;
  const [r0, r1, r, b, h, i, j, kvh, n, cnt, qa, ka, oa, sa] = Array.from({ length: 14 }, () => f.local('i32'));
  const [s, m, e32] = [f.local('f32'), f.local('f32'), f.local('f32')];
  const sum = f.local('f64');
  const scale = f.local('f32');
  f.get(u.scale).fromBits().set(scale);
  f.get(u.scratch).get(u.tid).i32(GEMM_SCRATCH).mul().add().set(sa); // this thread's scratch (scores)
  range(f, u, () => f.get(u.B).get(u.Hq).mul().get(u.Tq).mul(), r0, r1);
  f.for(r, () => f.get(r0), () => f.get(r1), () => f.i32(1), () => {
    queryRow(f, u, r, b, h, i, kvh);
    rowAddr(f, ptr.q!, u.qsB, u.qsH, u.qsT, b, h, i);
    f.set(qa);
    rowAddr(f, ptr.o!, u.qsB, u.qsH, u.qsT, b, h, i);
    f.set(oa);
    visibleKeys(f, u, i, n);
    f.f32(-Infinity).set(m);
    f.i32(0).set(cnt);
    f.for(j, () => f.i32(0), () => f.get(n), () => f.i32(1), () => {
      keyOn(f, u, ptr.mask!, b, j, on);
      f.if(
        () => {
          rowAddr(f, ptr.k!, u.ksB, u.ksH, u.ksT, b, kvh, j);
          f.set(ka);
          dot(f, qa, ka, u.D, t);
          f.get(scale).fmul().set(s);
          f.get(sa).get(j).i32(2).shl().add().get(s).storeF32();
          f.get(m).get(s).fmax().set(m);
          f.get(cnt).i32(1).add().set(cnt);
        },
        () => f.get(sa).get(j).i32(2).shl().add().f32(-Infinity).storeF32(),
      );
    });
    zeroRow(f, oa, u.D, t);
    f.get(cnt).eqz();
    f.if(
      () => f.get(ptr.lse!).get(r).i32(2).shl().add().f32(0).storeF32(),
      () => {
        f.f64(0).set(sum);
        f.for(j, () => f.i32(0), () => f.get(n), () => f.i32(1), () => {
          f.get(sa).get(j).i32(2).shl().add().loadF32().tee(s).f32(-Infinity).fne();
          f.if(() => {
            f.get(s).get(m).fsub();
            expScalar(f, t.e);
            f.set(e32);
            f.get(sum).get(e32).promote().dadd().set(sum);
            rowAddr(f, ptr.v!, u.ksB, u.ksH, u.ksT, b, kvh, j);
            f.set(ka);
            axpy(f, oa, ka, e32, u.D, t);
          });
        });
        // o /= sum
        f.get(sum).demote().vsplat().set(t.acc);
        f.get(oa).set(t.x);
        f.get(u.D).set(t.n);
        f.loop(() => {
          f.get(t.x).get(t.x).loadV().get(t.acc).vdiv().storeV();
          f.get(t.x).i32(16).add().set(t.x);
          f.get(t.n).i32(4).sub().tee(t.n).i32(0).gtS().brIf(0);
        });
        f.get(ptr.lse!).get(r).i32(2).shl().add();
        f.get(m).promote().get(sum).call(LOG).dadd().demote().storeF32();
      },
    );
  });
  return f;
}

/** Pushes P_ij (f64) and sets ds (f32 local) = P_ij (dO_i·v_j − D_i) for the row at qa/doa
 *  (stats at sta) and the key at ka/va. */
function probAndDs(f: Fn, scale: number, qa: number, ka: number, doa: number, va: number, sta: number, ds: number, prob: number, D: number, t: Temps): void {
  dot(f, qa, ka, D, t);
  f.get(scale).fmul().get(sta).loadF32(0).fsub();
  expScalar(f, t.e);
  f.promote().set(prob);
  dot(f, doa, va, D, t);
  f.promote().get(sta).loadF32(4).promote().dsub().get(prob).dmul().demote().set(ds);
}

/** attn_dq(q, k, v, mask, dO, stats, dq, ...uniforms, scratch, tid, nth). */
function dq(dc: number): Fn {
  const { f, ptr, u } = signature(`attn_dq${suffix(dc)}`, ['q', 'k', 'v', 'mask', 'dO', 'stats', 'dq']);
  const t = temps(f, dc);
  const on = t.on;
  const [r0, r1, r, b, h, i, j, kvh, n, qa, ka, va, doa, dqa, sta] = Array.from({ length: 15 }, () => f.local('i32'));
  const [scale, ds, alpha] = [f.local('f32'), f.local('f32'), f.local('f32')];
  const prob = f.local('f64');
  f.get(u.scale).fromBits().set(scale);
  range(f, u, () => f.get(u.B).get(u.Hq).mul().get(u.Tq).mul(), r0, r1);
  f.for(r, () => f.get(r0), () => f.get(r1), () => f.i32(1), () => {
    queryRow(f, u, r, b, h, i, kvh);
    rowAddr(f, ptr.q!, u.qsB, u.qsH, u.qsT, b, h, i);
    f.set(qa);
    rowAddr(f, ptr.dO!, u.qsB, u.qsH, u.qsT, b, h, i);
    f.set(doa);
    rowAddr(f, ptr.dq!, u.qsB, u.qsH, u.qsT, b, h, i);
    f.set(dqa);
    f.get(ptr.stats!).get(r).i32(3).shl().add().set(sta);
    visibleKeys(f, u, i, n);
    zeroRow(f, dqa, u.D, t);
    f.for(j, () => f.i32(0), () => f.get(n), () => f.i32(1), () => {
      keyOn(f, u, ptr.mask!, b, j, on);
      f.if(() => {
        rowAddr(f, ptr.k!, u.ksB, u.ksH, u.ksT, b, kvh, j);
        f.set(ka);
        rowAddr(f, ptr.v!, u.ksB, u.ksH, u.ksT, b, kvh, j);
        f.set(va);
        probAndDs(f, scale, qa, ka, doa, va, sta, ds, prob, u.D, t);
        f.get(scale).get(ds).fmul().set(alpha);
        axpy(f, dqa, ka, alpha, u.D, t);
      });
    });
  });
  return f;
}

/** attn_dkdv(q, k, v, mask, dO, stats, dk, dv, ...uniforms, scratch, tid, nth): one key row at
 *  a time, summed over the query heads of its group and the query rows that see it. */
function dkdv(dc: number): Fn {
  const { f, ptr, u } = signature(`attn_dkdv${suffix(dc)}`, ['q', 'k', 'v', 'mask', 'dO', 'stats', 'dk', 'dv']);
  const t = temps(f, dc);
  const on = t.on;
  const [r0, r1, r, b, kvh, j, h, h1, i, row, qa, ka, va, doa, dka, dva, sta] = Array.from({ length: 17 }, () => f.local('i32'));
  const [scale, ds, alpha, p32] = [f.local('f32'), f.local('f32'), f.local('f32'), f.local('f32')];
  const prob = f.local('f64');
  f.get(u.scale).fromBits().set(scale);
  range(f, u, () => f.get(u.B).get(u.Hkv).mul().get(u.Tk).mul(), r0, r1);
  f.for(r, () => f.get(r0), () => f.get(r1), () => f.i32(1), () => {
    f.get(r).get(u.Hkv).get(u.Tk).mul().divU().set(b);
    f.get(r).get(u.Tk).divU().get(u.Hkv).remU().set(kvh);
    f.get(r).get(u.Tk).remU().set(j);
    rowAddr(f, ptr.k!, u.ksB, u.ksH, u.ksT, b, kvh, j);
    f.set(ka);
    rowAddr(f, ptr.v!, u.ksB, u.ksH, u.ksT, b, kvh, j);
    f.set(va);
    rowAddr(f, ptr.dk!, u.ksB, u.ksH, u.ksT, b, kvh, j);
    f.set(dka);
    rowAddr(f, ptr.dv!, u.ksB, u.ksH, u.ksT, b, kvh, j);
    f.set(dva);
    zeroRow(f, dka, u.D, t);
    zeroRow(f, dva, u.D, t);
    keyOn(f, u, ptr.mask!, b, j, on);
    f.if(() => {
      // heads kvh·G .. (kvh+1)·G, G = Hq / Hkv
      f.get(kvh).get(u.Hq).get(u.Hkv).divU().mul().set(h);
      f.get(h).get(u.Hq).get(u.Hkv).divU().add().set(h1);
      f.for(h, () => f.get(h), () => f.get(h1), () => f.i32(1), () => {
        f.for(i, () => {
          // i from max(0, j − off)
          f.get(j).get(u.off).sub().set(i);
          f.i32(0).get(i).get(i).i32(0).ltS().select();
        }, () => f.get(u.Tq), () => f.i32(1), () => {
          f.get(b).get(u.Hq).mul().get(h).add().get(u.Tq).mul().get(i).add().set(row);
          rowAddr(f, ptr.q!, u.qsB, u.qsH, u.qsT, b, h, i);
          f.set(qa);
          rowAddr(f, ptr.dO!, u.qsB, u.qsH, u.qsT, b, h, i);
          f.set(doa);
          f.get(ptr.stats!).get(row).i32(3).shl().add().set(sta);
          probAndDs(f, scale, qa, ka, doa, va, sta, ds, prob, u.D, t);
          f.get(prob).demote().set(p32);
          axpy(f, dva, doa, p32, u.D, t);
          f.get(scale).get(ds).fmul().set(alpha);
          axpy(f, dka, qa, alpha, u.D, t);
        });
      });
    });
  });
  return f;
}

/** The attention functions, in module order. */
export function attentionFns(): Fn[] {
  return [0, ...ATTENTION_HEAD_DIMS].flatMap((dc) => [fwd(dc), dq(dc), dkdv(dc)]);
}
