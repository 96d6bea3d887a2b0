// The fast CPU matmul, written as WebAssembly SIMD128 from TypeScript (see wasmEmit.ts).
// GotoBLAS structure: the output is cut into MC×NC blocks (a thread takes a contiguous range);
// for each KC slice of the reduction (and each of the `nred` summed products), op(B) is packed
// into NR-wide column panels (once per column block) and op(A) into MR-tall row strips (zero-padded, so the micro-kernel never branches on edges and
// every layout — NN, NT, TN, batched, broadcast, reduced over `nred` — packs into the same
// form); then an MR×NR register tile accumulates the strip × panel product with f32x4 mul+add
// (baseline SIMD128 has no FMA). Edge tiles go through a scratch tile.
import { Fn } from './wasmEmit.ts';

/** Rows of the register tile (MR × 8 floats in 2·MR v128 accumulators). */
export const MR = 4;
export const NR = 8;
/** Block sizes: A block MC×KC (L2), B block KC×NC (L2/L3). */
export const MC = MR * 16;
export const NC = 256;
/** The longest reduction slice packed at once; longer K is cut into equal slices of at most
 *  KC (K = 288 runs as one slice, 768 as two of 384). */
export const KC = 512;
/** Scratch bytes each thread needs: packed A, packed B, one edge tile. */
export const GEMM_SCRATCH = MC * KC * 4 + KC * NC * 4 + 1024;

/** Deliberate defects, for the test that proves the properties catch a broken kernel:
 *  'overwrite' ignores the accumulate flag (wrong once K > KC or nred > 1), 'edge-cols' drops
 *  the last column of edge tiles, 'swap-halves' pairs the left accumulators with the right
 *  half of the B panel. */
export type GemmMutant = 'overwrite' | 'edge-cols' | 'swap-halves';

/** min of two i32 locals/values pushed by `a` and `b` (each evaluated twice). */
function min(f: Fn, a: () => void, b: () => void): void {
  a();
  b();
  a();
  b();
  f.ltS().select();
}

/** micro(ap, bp, kc, cp, ldcBytes, accumulate, rows, cols, tile): C[rows×cols] (+)= Ap·Bp. */
function micro(mutant?: GemmMutant): Fn {
  const f = new Fn('gemm_micro', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [ap, bp, kc, cp, ldc, accum, rows, cols, tile] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const acc: number[][] = [];
  for (let i = 0; i < MR; i++) acc.push([f.local('v128'), f.local('v128')]);
  const b0 = f.local('v128');
  const b1 = f.local('v128');
  const av = f.local('v128');
  const row = f.local('i32');
  const i = f.local('i32');
  const j = f.local('i32');
  for (const r of acc) for (const v of r) f.vzero().set(v);
  f.loop(() => {
    f.get(bp).loadV(0).set(b0);
    f.get(bp).loadV(16).set(b1);
    for (let r = 0; r < MR; r++) {
      f.get(ap).loadSplat(4 * r).set(av);
      f.get(acc[r]![0]!).get(av).get(mutant === 'swap-halves' ? b1 : b0).vmul().vadd().set(acc[r]![0]!);
      f.get(acc[r]![1]!).get(av).get(b1).vmul().vadd().set(acc[r]![1]!);
    }
    f.get(ap).i32(MR * 4).add().set(ap);
    f.get(bp).i32(NR * 4).add().set(bp);
    f.get(kc).i32(1).sub().tee(kc).brIf(0);
  });
  // full tile: straight into C
  f.get(rows).i32(MR).eq().get(cols).i32(NR).eq().and();
  f.if(
    () => {
      f.get(cp).set(row);
      f.get(accum).i32(mutant === 'overwrite' ? 0 : 1).and().if(
        () => {
          for (let r = 0; r < MR; r++) {
            for (let h = 0; h < 2; h++) f.get(row).get(row).loadV(16 * h).get(acc[r]![h]!).vadd().storeV(16 * h);
            f.get(row).get(ldc).add().set(row);
          }
        },
        () => {
          for (let r = 0; r < MR; r++) {
            for (let h = 0; h < 2; h++) f.get(row).get(acc[r]![h]!).storeV(16 * h);
            f.get(row).get(ldc).add().set(row);
          }
        },
      );
    },
    () => {
      // edge tile: spill to scratch, copy the valid rows × cols
      for (let r = 0; r < MR; r++) for (let h = 0; h < 2; h++) f.get(tile).get(acc[r]![h]!).storeV((r * 2 + h) * 16);
      f.for(i, () => f.i32(0), () => f.get(rows), () => f.i32(1), () => {
        f.for(j, () => f.i32(0), () => f.get(cols).i32(mutant === 'edge-cols' ? 1 : 0).sub(), () => f.i32(1), () => {
          // address of C(i, j)
          f.get(cp).get(i).get(ldc).mul().add().get(j).i32(2).shl().add().set(row);
          f.get(row);
          f.get(tile).get(i).i32(NR * 4).mul().add().get(j).i32(2).shl().add().loadF32();
          f.get(row).loadF32().f32(0).get(accum).i32(mutant === 'overwrite' ? 0 : 1).and().select().fadd();
          f.storeF32();
        });
      });
    },
  );
  return f;
}

/** packA(src, m0, mcur, k0, kcur, sam4, sak4, dst): strips of MR rows, k-major inside. */
function packA(): Fn {
  const f = new Fn('gemm_pack_a', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [src, m0, mcur, k0, kcur, sam4, sak4, dst] = [0, 1, 2, 3, 4, 5, 6, 7];
  const s = f.local('i32');
  const k = f.local('i32');
  const p = f.local('i32');
  const d = f.local('i32');
  const r0 = f.local('i32');
  // src ← address of op(A)(m0, k0)
  f.get(src).get(m0).get(sam4).mul().add().get(k0).get(sak4).mul().add().set(src);
  // A stored transposed (rows of op(A) contiguous along m): walk A's rows, k outer, so reads
  // are sequential; strip by strip would touch a new page per k when M is large (dW of the
  // vocab head: 16 KiB apart), a TLB miss per 4 floats.
  f.get(sam4).i32(4).eq();
  f.if(() => {
    f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
      f.get(src).get(k).get(sak4).mul().add().set(p);
      f.for(s, () => f.i32(0), () => f.get(mcur), () => f.i32(MR), () => {
        // strip s/MR starts at (s/MR)·kcur·MR = s·kcur floats; row k of it at k·MR
        f.get(dst).get(s).get(kcur).mul().get(k).i32(MR).mul().add().i32(2).shl().add().set(d);
        f.get(s).i32(MR).add().get(mcur).leS();
        f.if(
          () => f.get(d).get(p).get(s).i32(2).shl().add().loadV().storeV(),
          () => {
            for (let r = 0; r < MR; r++) {
              f.get(s).i32(r).add().tee(r0).get(mcur).ltS();
              f.if(() => f.get(d).get(p).get(r0).i32(2).shl().add().loadF32().storeF32(4 * r), () => f.get(d).f32(0).storeF32(4 * r));
            }
          },
        );
      });
    });
    f.ret();
  });
  f.for(s, () => f.i32(0), () => f.get(mcur), () => f.i32(MR), () => {
    f.get(src).get(s).get(sam4).mul().add().set(p);
    f.get(s).i32(MR).add().get(mcur).leS();
    f.if(
      () => {
        f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
          for (let r = 0; r < MR; r++) f.get(dst).get(p).i32(r).get(sam4).mul().add().loadF32().storeF32(4 * r);
          f.get(dst).i32(MR * 4).add().set(dst);
          f.get(p).get(sak4).add().set(p);
        });
      },
      () => {
        f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
          for (let r = 0; r < MR; r++) {
            f.get(s).i32(r).add().get(mcur).ltS();
            f.if(() => f.get(dst).get(p).i32(r).get(sam4).mul().add().loadF32().storeF32(4 * r), () => f.get(dst).f32(0).storeF32(4 * r));
          }
          f.get(dst).i32(MR * 4).add().set(dst);
          f.get(p).get(sak4).add().set(p);
        });
      },
    );
  });
  return f;
}

/** packB(src, k0, kcur, n0, ncur, sbk4, sbn4, dst): panels of NR columns, k-major inside. */
function packB(): Fn {
  const f = new Fn('gemm_pack_b', ['i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32', 'i32']);
  const [src, k0, kcur, n0, ncur, sbk4, sbn4, dst] = [0, 1, 2, 3, 4, 5, 6, 7];
  const j = f.local('i32');
  const k = f.local('i32');
  const p = f.local('i32');
  f.get(src).get(k0).get(sbk4).mul().add().get(n0).get(sbn4).mul().add().set(src);
  f.for(j, () => f.i32(0), () => f.get(ncur), () => f.i32(NR), () => {
    f.get(src).get(j).get(sbn4).mul().add().set(p);
    f.get(j).i32(NR).add().get(ncur).leS();
    f.if(
      () => {
        f.get(sbn4).i32(4).eq();
        f.if(
          () => {
            // rows of B are contiguous: two vector copies per k
            f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
              f.get(dst).get(p).loadV(0).storeV(0);
              f.get(dst).get(p).loadV(16).storeV(16);
              f.get(dst).i32(NR * 4).add().set(dst);
              f.get(p).get(sbk4).add().set(p);
            });
          },
          () => {
            f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
              for (let c = 0; c < NR; c++) f.get(dst).get(p).i32(c).get(sbn4).mul().add().loadF32().storeF32(4 * c);
              f.get(dst).i32(NR * 4).add().set(dst);
              f.get(p).get(sbk4).add().set(p);
            });
          },
        );
      },
      () => {
        f.for(k, () => f.i32(0), () => f.get(kcur), () => f.i32(1), () => {
          for (let c = 0; c < NR; c++) {
            f.get(j).i32(c).add().get(ncur).ltS();
            f.if(() => f.get(dst).get(p).i32(c).get(sbn4).mul().add().loadF32().storeF32(4 * c), () => f.get(dst).f32(0).storeF32(4 * c));
          }
          f.get(dst).i32(NR * 4).add().set(dst);
          f.get(p).get(sbk4).add().set(p);
        });
      },
    );
  });
  return f;
}

/** Parameters of the `gemm` export after the three pointers, in order (all i32). */
export const GEMM_ARGS = ['M', 'N', 'K', 'sam', 'sak', 'sbk', 'sbn', 'nred', 'aR', 'bR', 'batch', 'aZ', 'bZ'] as const;

/** gemm(a, b, c, M, N, K, sam, sak, sbk, sbn, nred, aR, bR, batch, aZ, bZ, scratch, tid, nth):
 *  thread `tid` of `nth` computes its share of the MC×NC blocks of
 *  C[z] = Σ_r op(A[z·aZ + r·aR]) · op(B[z·bZ + r·bR]), op(A)(m, k) = A[m·sam + k·sak],
 *  op(B)(k, n) = B[k·sbk + n·sbn]; C[z] is row-major M×N at c + z·M·N. K ≥ 1. */
function gemm(fMicro: number, fPackA: number, fPackB: number): Fn {
  const f = new Fn('gemm', Array(19).fill('i32') as 'i32'[]);
  const [a, b, c, M, N, K, sam, sak, sbk, sbn, nred, aR, bR, batch, aZ, bZ, scratch, tid, nth] = Array.from({ length: 19 }, (_, i) => i) as number[];
  const L = () => f.local('i32');
  const [mt, nt, w0, w1, w, z, rem, ic, jc, m0, n0, mcur, ncur, r, k0, kcur, first, apS, bpS, tile, i, j, lastKey, key, cz, aBase, bBase, kcb] = Array.from({ length: 28 }, L);
  for (const s of [sam, sak, sbk, sbn]) f.get(s!).i32(2).shl().set(s!);
  f.get(scratch!).get(tid!).i32(GEMM_SCRATCH).mul().add().set(apS!);
  f.get(apS!).i32(MC * KC * 4).add().set(bpS!);
  f.get(bpS!).i32(KC * NC * 4).add().set(tile!);
  f.get(M!).i32(MC - 1).add().i32(MC).divU().set(mt!);
  f.get(N!).i32(NC - 1).add().i32(NC).divU().set(nt!);
  // items = batch·mt·nt; this thread takes [tid·items/nth, (tid+1)·items/nth)
  f.get(tid!).get(batch!).get(mt!).mul().get(nt!).mul().mul().get(nth!).divU().set(w0!);
  f.get(tid!).i32(1).add().get(batch!).get(mt!).mul().get(nt!).mul().mul().get(nth!).divU().set(w1!);
  // slice length: K cut into ceil(K / KC) equal slices
  f.get(K!).get(K!).i32(KC - 1).add().i32(KC).divU().tee(kcb!).i32(1).sub().add().get(kcb!).divU().set(kcb!);
  // Slices outermost, this thread's blocks inside: a packed B slice serves every row block of
  // its column block (ic runs fastest), and each block's sum still runs in slice order.
  f.for(r!, () => f.i32(0), () => f.get(nred!), () => f.i32(1), () => {
    f.for(k0!, () => f.i32(0), () => f.get(K!), () => f.get(kcb!), () => {
      min(f, () => f.get(kcb!), () => f.get(K!).get(k0!).sub());
      f.set(kcur!);
      f.get(r!).get(k0!).or().eqz().set(first!);
      f.i32(-1).set(lastKey!);
      f.for(w!, () => f.get(w0!), () => f.get(w1!), () => f.i32(1), () => {
        f.get(w!).get(mt!).get(nt!).mul().divU().set(z!);
        f.get(w!).get(mt!).get(nt!).mul().remU().set(rem!);
        f.get(rem!).get(mt!).divU().set(jc!);
        f.get(rem!).get(mt!).remU().set(ic!);
        f.get(ic!).i32(MC).mul().set(m0!);
        f.get(jc!).i32(NC).mul().set(n0!);
        min(f, () => f.i32(MC), () => f.get(M!).get(m0!).sub());
        f.set(mcur!);
        min(f, () => f.i32(NC), () => f.get(N!).get(n0!).sub());
        f.set(ncur!);
        f.get(c!).get(z!).get(M!).mul().get(N!).mul().get(m0!).get(N!).mul().add().get(n0!).add().i32(2).shl().add().set(cz!);
        f.get(z!).get(nt!).mul().get(jc!).add().set(key!);
        f.get(a!).get(z!).get(aZ!).mul().get(r!).get(aR!).mul().add().i32(2).shl().add().set(aBase!);
        f.get(key!).get(lastKey!).ne();
        f.if(() => {
          f.get(b!).get(z!).get(bZ!).mul().get(r!).get(bR!).mul().add().i32(2).shl().add().set(bBase!);
          f.get(bBase!).get(k0!).get(kcur!).get(n0!).get(ncur!).get(sbk!).get(sbn!).get(bpS!).call(fPackB);
          f.get(key!).set(lastKey!);
        });
        f.get(aBase!).get(m0!).get(mcur!).get(k0!).get(kcur!).get(sam!).get(sak!).get(apS!).call(fPackA);
        f.for(i!, () => f.i32(0), () => f.get(mcur!), () => f.i32(MR), () => {
          f.for(j!, () => f.i32(0), () => f.get(ncur!), () => f.i32(NR), () => {
            f.get(apS!).get(i!).get(kcur!).mul().i32(2).shl().add();
            f.get(bpS!).get(j!).get(kcur!).mul().i32(2).shl().add();
            f.get(kcur!);
            f.get(cz!).get(i!).get(N!).mul().get(j!).add().i32(2).shl().add();
            f.get(N!).i32(2).shl();
            f.get(first!).eqz();
            min(f, () => f.i32(MR), () => f.get(mcur!).get(i!).sub());
            min(f, () => f.i32(NR), () => f.get(ncur!).get(j!).sub());
            f.get(tile!);
            f.call(fMicro);
          });
        });
      });
    });
  });
  return f;
}

/** The gemm functions in module order; `gemm` calls the others by index from `base`. */
export function gemmFns(base: number, mutant?: GemmMutant): Fn[] {
  return [gemm(base + 1, base + 2, base + 3), micro(mutant), packA(), packB()];
}
