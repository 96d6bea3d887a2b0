// RMSNorm over the last dim: y = x · rsqrt(mean(x²) + eps) · w. The forward saves the per-row
// rstd so the backward does not recompute it; the weight gradient is summed over rows in two
// race-free stages (per-chunk partials, then a column sum).
import type { GpuLaunch, Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { expectRank, floatDType, launch } from '../core/launch.ts';
import { fmt } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';
import { sumTo } from './elementwise.ts';

const LWG = 256;
/** Rows per dw partial: enough threads (chunks × D) to fill a GPU, short loops per thread. */
const DW_CHUNK = 64;

/** Threads per row workgroup (a power of two for the tree reduction in shaders/norm.wgsl). */
const rowThreads = (d: number) => (d >= 1024 ? 256 : 64);
/** One workgroup per row; past 65535 rows the grid folds into y. */
const rowGrid = (rows: number) => linearGrid(rows, 1);

interface RowP {
  rows: number;
  d: number;
  eps: number;
}

const rmsFwdK: Kernel<RowP> = {
  name: 'rmsnorm_fwd',
  cpu([x, w], [y, rstd], { rows, d, eps }) {
    for (let r = 0; r < rows; r++) {
      const b = r * d;
      let ss = 0;
      for (let j = 0; j < d; j++) ss += x![b + j]! * x![b + j]!;
      const s = 1 / Math.sqrt(ss / d + eps);
      for (let j = 0; j < d; j++) y![b + j] = x![b + j]! * s * w![j]!;
      rstd![r] = s;
    }
  },
  gpu: (p) => rowLaunch(p, 'rmsnorm_fwd'),
};

/** Rows up to this long use one thread per row (no barriers); longer rows a workgroup each.
 *  Measured on lavapipe, see the comment in shaders/norm.wgsl. Set to 0 to force workgroups. */
export const normTuning = { rowMaxD: 512 };

function rowLaunch(p: RowP, entry: 'rmsnorm_fwd' | 'rmsnorm_bwd_dx'): GpuLaunch {
  const uniforms = [p.rows, p.d, { f32: p.eps }];
  if (p.d <= normTuning.rowMaxD) return { shader: 'norm', entry: `${entry}_row`, uniforms, workgroups: linearGrid(p.rows, 64) };
  return { shader: 'norm', entry, constants: { WG: rowThreads(p.d) }, uniforms, workgroups: rowGrid(p.rows) };
}

const rmsBwdDxK: Kernel<RowP> = {
  name: 'rmsnorm_bwd_dx',
  cpu([x, w, rstd, g], [dx], { rows, d }) {
    for (let r = 0; r < rows; r++) {
      const b = r * d;
      const s = rstd![r]!;
      let dot = 0;
      for (let j = 0; j < d; j++) dot += g![b + j]! * w![j]! * x![b + j]!;
      const c = (dot * s * s * s) / d;
      for (let j = 0; j < d; j++) dx![b + j] = s * w![j]! * g![b + j]! - c * x![b + j]!;
    }
  },
  gpu: (p) => rowLaunch(p, 'rmsnorm_bwd_dx'),
};

interface PartP {
  rows: number;
  d: number;
  chunk: number;
  nparts: number;
}

const rmsDwPartK: Kernel<PartP> = {
  name: 'rmsnorm_dw_part',
  cpu([x, rstd, g], [part], { rows, d, chunk, nparts }) {
    for (let c = 0; c < nparts; c++) {
      const r1 = Math.min((c + 1) * chunk, rows);
      for (let j = 0; j < d; j++) {
        let acc = 0;
        for (let r = c * chunk; r < r1; r++) acc += g![r * d + j]! * x![r * d + j]! * rstd![r]!;
        part![c * d + j] = acc;
      }
    }
  },
  gpu: (p) => ({
    shader: 'norm',
    entry: 'rmsnorm_dw_part',
    uniforms: [p.rows, p.d, p.chunk, p.nparts],
    workgroups: linearGrid(p.nparts * p.d, LWG),
  }),
};

/** RMSNorm over the last dim of `x` ([..., D]) with a learned scale `weight` ([D]). */
export function rmsnorm(x: Tensor, weight: Tensor, eps = 1e-5): Tensor {
  const dtype = floatDType('rmsnorm', x, weight);
  if (x.rank < 1) throw new Error(`rmsnorm: x must have rank ≥ 1, got shape ${fmt(x.shape)}`);
  expectRank('rmsnorm', weight, 1, 'weight');
  const d = x.shape[x.rank - 1]!;
  if (weight.shape[0] !== d) {
    throw new Error(`rmsnorm: weight ${fmt(weight.shape)} does not match the last dim of x ${fmt(x.shape)}`);
  }
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new Error(`rmsnorm: eps must be a finite number ≥ 0, got ${eps}`);
  const rows = d === 0 ? 0 : x.size / d;
  const p: RowP = { rows, d, eps };
  const [y, rstd] = launch(
    rmsFwdK,
    [x, weight],
    [
      { shape: x.shape, dtype },
      { shape: [rows], dtype },
    ],
    p,
  );
  record(y!, [x, weight], 'rmsnorm', (g) => {
    const dx = x.requiresGrad ? launch(rmsBwdDxK, [x, weight, rstd!, g], [{ shape: x.shape, dtype }], p)[0]! : null;
    let dw: Tensor | null = null;
    if (weight.requiresGrad) {
      const nparts = Math.max(1, Math.ceil(rows / DW_CHUNK));
      const [part] = launch(rmsDwPartK, [x, rstd!, g], [{ shape: [nparts, d], dtype }], { rows, d, chunk: DW_CHUNK, nparts });
      dw = sumTo(part!, [d]);
      part!.dispose();
    }
    rstd!.dispose(); // the node runs once (the graph is freed as it goes)
    return [dx, dw];
  });
  if (!y!.requiresGrad) rstd!.dispose();
  return y!;
}
