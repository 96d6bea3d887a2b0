// Row-wise and elementwise kernels of the fast CPU backend, as WebAssembly SIMD128: the AdamW
// update (src/ops/optim.ts) and the softmax cross-entropy rows over the vocabulary
// (src/ops/loss.ts), whose reference loops are the oracle. Work is split across threads in
// contiguous ranges (elements in multiples of 4, or rows). exp and log are imported from Math.
import { exp4, expTemps } from './expf.ts';
import { Fn } from './wasmEmit.ts';

const EXP = 0;
const LOG = 1;

/** This thread's [lo, hi) of n items, chunks rounded up to a multiple of `align`. */
function share(f: Fn, n: number, tid: number, nth: number, align: number, lo: number, hi: number): void {
  const chunk = f.local('i32');
  f.get(n).get(nth).i32(1).sub().add().get(nth).divU().i32(align - 1).add().i32(-align).and().set(chunk);
  f.get(tid).get(chunk).mul().set(lo);
  f.get(lo).get(n).get(lo).get(n).ltS().select().set(lo);
  f.get(lo).get(chunk).add().set(hi);
  f.get(hi).get(n).get(hi).get(n).ltS().select().set(hi);
}

/** adamw(g, param, m, v, n, decay, beta1, 1−beta1, beta2, 1−beta2, stepSize, invBc2, eps,
 *  scratch, tid, nth): the f32 arguments are passed as bits. */
function adamw(): Fn {
  const f = new Fn('adamw', Array(16).fill('i32') as 'i32'[]);
  const [g, param, m, v, n] = [0, 1, 2, 3, 4];
  const names = ['decay', 'b1', 'c1', 'b2', 'c2', 'step', 'inv', 'eps'];
  const [tid, nth] = [14, 15];
  const lo = f.local('i32');
  const hi = f.local('i32');
  const i = f.local('i32');
  const a = f.local('i32');
  const sc: Record<string, number> = {};
  const vc: Record<string, number> = {};
  names.forEach((nm, k) => {
    sc[nm] = f.local('f32');
    vc[nm] = f.local('v128');
    f.get(5 + k).fromBits().tee(sc[nm]!).vsplat().set(vc[nm]!);
  });
  const [gv, mv, vv] = [f.local('v128'), f.local('v128'), f.local('v128')];
  const [gs, ms, vs] = [f.local('f32'), f.local('f32'), f.local('f32')];
  share(f, n, tid, nth, 4, lo, hi);
  // vectors of 4, then the scalar tail of the last share
  f.get(lo).set(i);
  f.block(() => {
    f.loop(() => {
      f.get(i).i32(4).add().get(hi).gtS().brIf(1);
      f.get(i).i32(2).shl().set(a);
      f.get(g).get(a).add().loadV().set(gv);
      f.get(vc.b1!).get(m).get(a).add().loadV().vmul().get(vc.c1!).get(gv).vmul().vadd().set(mv);
      f.get(vc.b2!).get(v).get(a).add().loadV().vmul().get(vc.c2!).get(gv).vmul().get(gv).vmul().vadd().set(vv);
      f.get(m).get(a).add().get(mv).storeV();
      f.get(v).get(a).add().get(vv).storeV();
      f.get(param).get(a).add();
      f.get(param).get(a).add().loadV().get(vc.decay!).vmul();
      f.get(vc.step!).get(mv).vmul();
      f.get(vv).vsqrt().get(vc.inv!).vmul().get(vc.eps!).vadd();
      f.vdiv().vsub().storeV();
      f.get(i).i32(4).add().set(i);
      f.br(0);
    });
  });
  f.for(i, () => f.get(i), () => f.get(hi), () => f.i32(1), () => {
    f.get(i).i32(2).shl().set(a);
    f.get(g).get(a).add().loadF32().set(gs);
    f.get(sc.b1!).get(m).get(a).add().loadF32().fmul().get(sc.c1!).get(gs).fmul().fadd().set(ms);
    f.get(sc.b2!).get(v).get(a).add().loadF32().fmul().get(sc.c2!).get(gs).fmul().get(gs).fmul().fadd().set(vs);
    f.get(m).get(a).add().get(ms).storeF32();
    f.get(v).get(a).add().get(vs).storeF32();
    f.get(param).get(a).add();
    f.get(param).get(a).add().loadF32().get(sc.decay!).fmul();
    f.get(sc.step!).get(ms).fmul();
    f.get(vs).fsqrt().get(sc.inv!).fmul().get(sc.eps!).fadd();
    f.fdiv().fsub().storeF32();
  });
  return f;
}

/** ce_rows_fwd(logits, targets, loss, lse, rows, v, ignore, scratch, tid, nth): per row the
 *  log-sum-exp (max by vectors, the sum in f64) and the loss at the target. */
function ceFwd(): Fn {
  const f = new Fn('ce_rows_fwd', Array(10).fill('i32') as 'i32'[]);
  const [logits, targets, loss, lse, rows, v, ignore, , tid, nth] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
  const [lo, hi, r, base, j, t] = Array.from({ length: 6 }, () => f.local('i32'));
  const mv = f.local('v128');
  const ev = f.local('v128');
  const et = expTemps(f);
  const m = f.local('f32');
  const [s, l] = [f.local('f64'), f.local('f64')];
  share(f, rows, tid, nth, 1, lo, hi);
  f.for(r, () => f.get(lo), () => f.get(hi), () => f.i32(1), () => {
    f.get(logits).get(r).get(v).mul().i32(2).shl().add().set(base);
    f.f32(-Infinity).vsplat().set(mv);
    f.i32(0).set(j);
    f.block(() => {
      f.loop(() => {
        f.get(j).i32(4).add().get(v).gtS().brIf(1);
        f.get(mv).get(base).get(j).i32(2).shl().add().loadV().vmax().set(mv);
        f.get(j).i32(4).add().set(j);
        f.br(0);
      });
    });
    f.get(mv).vlane(0).get(mv).vlane(1).fmax().get(mv).vlane(2).fmax().get(mv).vlane(3).fmax().set(m);
    f.for(j, () => f.get(j), () => f.get(v), () => f.i32(1), () => {
      f.get(m).get(base).get(j).i32(2).shl().add().loadF32().fmax().set(m);
    });
    // Σ exp(x − m): vectors of 4 (expf.ts), each lane added in f64; the tail through Math.exp
    f.f64(0).set(s);
    f.get(m).vsplat().set(mv);
    f.i32(0).set(j);
    f.block(() => {
      f.loop(() => {
        f.get(j).i32(4).add().get(v).gtS().brIf(1);
        f.get(base).get(j).i32(2).shl().add().loadV().get(mv).vsub();
        exp4(f, et);
        f.set(ev);
        for (let k = 0; k < 4; k++) f.get(s).get(ev).vlane(k).promote().dadd().set(s);
        f.get(j).i32(4).add().set(j);
        f.br(0);
      });
    });
    f.for(j, () => f.get(j), () => f.get(v), () => f.i32(1), () => {
      f.get(s).get(base).get(j).i32(2).shl().add().loadF32().promote().get(m).promote().dsub().call(EXP).dadd().set(s);
    });
    f.get(m).promote().get(s).call(LOG).dadd().set(l);
    f.get(lse).get(r).i32(2).shl().add().get(l).demote().storeF32();
    f.get(targets).get(r).i32(2).shl().add().loadI32().set(t);
    f.get(t).get(ignore).eq();
    f.if(
      () => f.get(loss).get(r).i32(2).shl().add().f32(0).storeF32(),
      () => {
        f.get(t).i32(0).ltS().get(t).get(v).geS().or();
        f.if(
          () => f.get(loss).get(r).i32(2).shl().add().f32(Number.NaN).storeF32(),
          () => f.get(loss).get(r).i32(2).shl().add().get(l).get(base).get(t).i32(2).shl().add().loadF32().promote().dsub().demote().storeF32(),
        );
      },
    );
  });
  return f;
}

/** ce_rows_bwd(logits, targets, lse, g, dl, rows, v, ignore, scratch, tid, nth):
 *  dl = g_r · (softmax − onehot(target)), zero rows for ignored targets. */
function ceBwd(): Fn {
  const f = new Fn('ce_rows_bwd', Array(11).fill('i32') as 'i32'[]);
  const [logits, targets, lse, g, dl, rows, v, ignore, , tid, nth] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  const [lo, hi, r, base, out, j, t] = Array.from({ length: 7 }, () => f.local('i32'));
  const [l, gr] = [f.local('f64'), f.local('f64')];
  const [lv, gv] = [f.local('v128'), f.local('v128')];
  const et = expTemps(f);
  share(f, rows, tid, nth, 1, lo, hi);
  f.for(r, () => f.get(lo), () => f.get(hi), () => f.i32(1), () => {
    f.get(logits).get(r).get(v).mul().i32(2).shl().add().set(base);
    f.get(dl).get(r).get(v).mul().i32(2).shl().add().set(out);
    f.get(targets).get(r).i32(2).shl().add().loadI32().set(t);
    f.get(t).get(ignore).eq();
    f.if(
      () => {
        f.for(j, () => f.i32(0), () => f.get(v), () => f.i32(1), () => f.get(out).get(j).i32(2).shl().add().f32(0).storeF32());
      },
      () => {
        f.get(lse).get(r).i32(2).shl().add().loadF32().promote().set(l);
        f.get(g).get(r).i32(2).shl().add().loadF32().promote().set(gr);
        // g · exp(x − lse) by vectors of 4 (expf.ts), the tail through Math.exp in f64 ...
        f.get(lse).get(r).i32(2).shl().add().loadF32().vsplat().set(lv);
        f.get(gr).demote().vsplat().set(gv);
        f.i32(0).set(j);
        f.block(() => {
          f.loop(() => {
            f.get(j).i32(4).add().get(v).gtS().brIf(1);
            f.get(out).get(j).i32(2).shl().add();
            f.get(base).get(j).i32(2).shl().add().loadV().get(lv).vsub();
            exp4(f, et);
            f.get(gv).vmul().storeV();
            f.get(j).i32(4).add().set(j);
            f.br(0);
          });
        });
        f.for(j, () => f.get(j), () => f.get(v), () => f.i32(1), () => {
          f.get(out).get(j).i32(2).shl().add();
          f.get(base).get(j).i32(2).shl().add().loadF32().promote().get(l).dsub().call(EXP);
          f.get(gr).dmul().demote().storeF32();
        });
        // ... then the target column again, in f64, minus the one-hot
        f.get(t).i32(0).geS().get(t).get(v).ltS().and();
        f.if(() => {
          f.get(out).get(t).i32(2).shl().add();
          f.get(base).get(t).i32(2).shl().add().loadF32().promote().get(l).dsub().call(EXP).f64(1).dsub();
          f.get(gr).dmul().demote().storeF32();
        });
      },
    );
  });
  return f;
}

/** Pushes sigmoid(a) = 1 / (1 + exp(−a)) for the f64 local a. */
function sigmoid(f: Fn, a: number): void {
  f.f64(1).f64(1).f64(0).get(a).dsub().call(EXP).dadd().op(0xa3); // f64.div
}

/** swiglu_fwd(gate, up, y, n, scratch, tid, nth): y = silu(gate) · up, in f64 like the reference. */
function swigluFwd(): Fn {
  const f = new Fn('swiglu_fwd', Array(7).fill('i32') as 'i32'[]);
  const [gate, up, y, n, , tid, nth] = [0, 1, 2, 3, 4, 5, 6];
  const [lo, hi, i, o] = Array.from({ length: 4 }, () => f.local('i32'));
  const a = f.local('f64');
  share(f, n, tid, nth, 4, lo, hi);
  f.for(i, () => f.get(lo), () => f.get(hi), () => f.i32(1), () => {
    f.get(i).i32(2).shl().set(o);
    f.get(gate).get(o).add().loadF32().promote().set(a);
    f.get(y).get(o).add();
    f.get(a);
    sigmoid(f, a);
    f.dmul().get(up).get(o).add().loadF32().promote().dmul().demote().storeF32();
  });
  return f;
}

/** swiglu_bwd(gate, up, g, dgate, dup, n, scratch, tid, nth). */
function swigluBwd(): Fn {
  const f = new Fn('swiglu_bwd', Array(9).fill('i32') as 'i32'[]);
  const [gate, up, g, dgate, dup, n, , tid, nth] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [lo, hi, i, o] = Array.from({ length: 4 }, () => f.local('i32'));
  const [a, sg, gi] = [f.local('f64'), f.local('f64'), f.local('f64')];
  share(f, n, tid, nth, 4, lo, hi);
  f.for(i, () => f.get(lo), () => f.get(hi), () => f.i32(1), () => {
    f.get(i).i32(2).shl().set(o);
    f.get(gate).get(o).add().loadF32().promote().set(a);
    sigmoid(f, a);
    f.set(sg);
    f.get(g).get(o).add().loadF32().promote().set(gi);
    // dgate = g · up · s · (1 + a (1 − s))
    f.get(dgate).get(o).add();
    f.get(gi).get(up).get(o).add().loadF32().promote().dmul().get(sg).dmul();
    f.f64(1).get(a).f64(1).get(sg).dsub().dmul().dadd().dmul().demote().storeF32();
    // dup = g · a · s
    f.get(dup).get(o).add().get(gi).get(a).dmul().get(sg).dmul().demote().storeF32();
  });
  return f;
}

export function rowFns(): Fn[] {
  return [adamw(), ceFwd(), ceBwd(), swigluFwd(), swigluBwd()];
}
