// Token embedding: out[..., :] = table[ids[...], :]. The backward scatter-adds gradient rows into
// a [V, D] table without atomics (see shaders/embedding.wgsl).
//
// Out-of-range ids throw when the ids are readable on the host (the CPU backend). On WebGPU the
// ids live on the device and reading them back would stall the pipeline, so the kernels clamp
// them into [0, V) instead; callers holding host-side ids can check them with `checkIds` first.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { expectDType, expectRank, floatDType, launch, launchInPlace } from '../core/launch.ts';
import { fmt } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';
import { fillOn } from './elementwise.ts';

const WG = 256;

const clampId = (id: number, v: number) => Math.min(Math.max(id, 0), v - 1);

/** Throws naming the first id outside [0, vocab). */
export function checkIds(op: string, ids: ArrayLike<number>, vocab: number): void {
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (!(id >= 0 && id < vocab)) throw new Error(`${op}: id ${id} at position ${i} is out of range for a table of ${vocab} rows`);
  }
}

interface FwdP {
  n: number;
  d: number;
  v: number;
}

const embFwdK: Kernel<FwdP> = {
  name: 'embedding_fwd',
  cpu([ids, table], [out], { n, d, v }) {
    for (let i = 0; i < n / d; i++) {
      const row = clampId(ids![i]!, v) * d;
      for (let j = 0; j < d; j++) out![i * d + j] = table![row + j]!;
    }
  },
  gpu: (p) => ({ shader: 'embedding', entry: 'embedding_fwd', uniforms: [p.n, p.d, p.v], workgroups: linearGrid(p.n, WG) }),
};

interface BwdP {
  npos: number;
  d: number;
  v: number;
  nb: number;
}

/** Accumulates into a zeroed dtable (launchInPlace). */
const embBwdK: Kernel<BwdP> = {
  name: 'embedding_bwd',
  cpu([ids, g], [dt], { npos, d, v }) {
    for (let n = 0; n < npos; n++) {
      const row = clampId(ids![n]!, v) * d;
      for (let j = 0; j < d; j++) dt![row + j] += g![n * d + j]!;
    }
  },
  gpu: (p) => ({ shader: 'embedding', entry: 'embedding_bwd', uniforms: [p.npos, p.d, p.v, p.nb], workgroups: linearGrid(p.nb * p.d, WG) }),
};

/** Vocab buckets of the backward: each thread walks all positions, so more buckets buy
 *  parallelism at the price of re-reading the ids (nb·D·N compares in all); aim for ~2k threads. */
export function embeddingBuckets(v: number, d: number): number {
  return Math.max(1, Math.min(v, 64, Math.ceil(2048 / Math.max(1, d))));
}

/** Looks up rows of `table` ([V, D]) for integer `ids` (i32, any shape) → [...ids.shape, D]. */
export function embedding(ids: Tensor, table: Tensor): Tensor {
  expectDType('embedding', ids, 'i32', 'ids');
  const dtype = floatDType('embedding', table);
  expectRank('embedding', table, 2, 'table ([vocab, dim])');
  const [v, d] = table.shape as [number, number];
  if (v === 0) throw new Error(`embedding: table ${fmt(table.shape)} has no rows`);
  if (ids.backend !== table.backend) throw new Error(`embedding: ids live on ${ids.backend.name} but the table on ${table.backend.name}`);
  if (ids.backend.readSync) checkIds('embedding', ids.backend.readSync(ids.storage), v);
  const shape = [...ids.shape, d];
  const [out] = launch(embFwdK, [ids, table], [{ shape, dtype }], { n: ids.size * d, d, v });
  record(out!, [ids, table], 'embedding', (g) => {
    if (!table.requiresGrad) return [null, null];
    const dt = fillOn(table.backend, table.shape, 0, dtype);
    launchInPlace(embBwdK, [ids, g], [dt], { npos: ids.size, d, v, nb: embeddingBuckets(v, d) });
    return [null, dt];
  });
  return out!;
}
