// Cross-entropy over the last dim of logits [..., V] with i32 targets [...]: a fused
// log-softmax (one workgroup per row, online max/sum) saving the per-row log-sum-exp for the
// backward, (softmax − onehot) · g_row.
//
// - Targets equal to `ignoreIndex` (default -100) contribute no loss and get zero gradient.
// - `crossEntropy` is the mean over non-ignored targets. If every target is ignored the loss is
//   0 and the gradient is all zeros (nothing to learn from; no 0/0 NaN).
// - Out-of-range targets throw when readable on the host (the CPU backend); on WebGPU such a
//   row's loss is NaN, which poisons the mean so the mistake cannot pass unnoticed.
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { expectDType, floatDType, launch } from '../core/launch.ts';
import { fmt, sameShape } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

const LWG = 256;
/** Threads per row workgroup (a power of two for the tree reduction in shaders/loss.wgsl). */
const rowThreads = (v: number) => (v >= 1024 ? 256 : 64);

export interface CrossEntropyOptions {
  /** Targets with this value are skipped (default -100, as in PyTorch). */
  ignoreIndex?: number;
}

interface RowsP {
  rows: number;
  v: number;
  ignore: number;
}

const ceRowsFwdK: Kernel<RowsP> = {
  name: 'ce_rows_fwd',
  cpu([logits, targets], [loss, lse], { rows, v, ignore }) {
    for (let r = 0; r < rows; r++) {
      const b = r * v;
      let m = -Infinity;
      for (let j = 0; j < v; j++) m = Math.max(m, logits![b + j]!);
      let s = 0;
      for (let j = 0; j < v; j++) s += Math.exp(logits![b + j]! - m);
      const l = m + Math.log(s);
      lse![r] = l;
      const t = targets![r]!;
      loss![r] = t === ignore ? 0 : t < 0 || t >= v ? NaN : l - logits![b + t]!;
    }
  },
  // fast CPU: src/backend/fast/rows.ts (row max by vectors, exp/log from Math in f64)
  simd: (p) => ({ fn: 'ce_rows_fwd', args: [p.rows, p.v, { i32: p.ignore }], work: p.rows * p.v * 8 }),
  gpu: (p) => ({
    shader: 'loss',
    entry: 'ce_rows_fwd',
    constants: { WG: rowThreads(p.v) },
    uniforms: [p.rows, p.v, { i32: p.ignore }],
    workgroups: linearGrid(p.rows, 1),
  }),
};

interface MeanP {
  rows: number;
  ignore: number;
}

const ceMeanK: Kernel<MeanP> = {
  name: 'ce_mean',
  cpu([rowLoss, targets], [loss, count], { rows, ignore }) {
    let l = 0;
    let c = 0;
    for (let r = 0; r < rows; r++) {
      if (targets![r] === ignore) continue;
      l += rowLoss![r]!;
      c++;
    }
    loss![0] = c > 0 ? l / c : 0;
    count![0] = c;
  },
  gpu: (p) => ({ shader: 'loss', entry: 'ce_mean', uniforms: [p.rows, { i32: p.ignore }], workgroups: [1] }),
};

const ceMeanBwdK: Kernel<MeanP> = {
  name: 'ce_mean_bwd',
  cpu([g, count, targets], [gRows], { rows, ignore }) {
    for (let r = 0; r < rows; r++) gRows![r] = targets![r] === ignore ? 0 : g![0]! / count![0]!;
  },
  gpu: (p) => ({ shader: 'loss', entry: 'ce_mean_bwd', uniforms: [p.rows, { i32: p.ignore }], workgroups: linearGrid(p.rows, LWG) }),
};

const ceRowsBwdK: Kernel<RowsP> = {
  name: 'ce_rows_bwd',
  cpu([logits, targets, lse, g], [dl], { rows, v, ignore }) {
    for (let r = 0; r < rows; r++) {
      const b = r * v;
      const t = targets![r]!;
      if (t === ignore) {
        dl!.fill(0, b, b + v);
        continue;
      }
      for (let j = 0; j < v; j++) dl![b + j] = g![r]! * (Math.exp(logits![b + j]! - lse![r]!) - (j === t ? 1 : 0));
    }
  },
  simd: (p) => ({ fn: 'ce_rows_bwd', args: [p.rows, p.v, { i32: p.ignore }], work: p.rows * p.v * 8 }),
  gpu: (p) => ({
    shader: 'loss',
    entry: 'ce_rows_bwd',
    uniforms: [p.rows * p.v, p.v, { i32: p.ignore }],
    workgroups: linearGrid(p.rows * p.v, LWG),
  }),
};

function check(op: string, logits: Tensor, targets: Tensor, ignore: number): RowsP {
  floatDType(op, logits);
  expectDType(op, targets, 'i32', 'targets');
  if (logits.rank < 1) throw new Error(`${op}: logits must have rank ≥ 1 ([..., vocab]), got shape ${fmt(logits.shape)}`);
  const v = logits.shape[logits.rank - 1]!;
  if (v === 0) throw new Error(`${op}: logits ${fmt(logits.shape)} have an empty vocabulary`);
  if (!sameShape(targets.shape, logits.shape.slice(0, -1))) {
    throw new Error(`${op}: targets ${fmt(targets.shape)} must have the shape of logits ${fmt(logits.shape)} without the last dim`);
  }
  if (!Number.isInteger(ignore) || ignore < -(2 ** 31) || ignore >= 2 ** 31)
    throw new Error(`${op}: ignoreIndex must be an i32, got ${ignore}`);
  if (targets.backend !== logits.backend)
    throw new Error(`${op}: targets live on ${targets.backend.name} but logits on ${logits.backend.name}`);
  if (targets.backend.readSync) {
    const t = targets.backend.readSync(targets.storage);
    for (let i = 0; i < t.length; i++) {
      if (t[i] !== ignore && !(t[i]! >= 0 && t[i]! < v)) {
        throw new Error(`${op}: target ${t[i]} at position ${i} is out of range for ${v} classes (ignoreIndex ${ignore})`);
      }
    }
  }
  return { rows: targets.size, v, ignore };
}

/** Per-row losses and log-sum-exps. */
function rowsForward(logits: Tensor, targets: Tensor, p: RowsP): [Tensor, Tensor] {
  const dtype = logits.dtype;
  const [loss, lse] = launch(
    ceRowsFwdK,
    [logits, targets],
    [
      { shape: targets.shape, dtype },
      { shape: [p.rows], dtype },
    ],
    p,
  );
  return [loss!, lse!];
}

/** dlogits for per-row upstream gradients gRows (shape of targets). */
function rowsBackward(logits: Tensor, targets: Tensor, lse: Tensor, gRows: Tensor, p: RowsP): Tensor {
  return launch(ceRowsBwdK, [logits, targets, lse, gRows], [{ shape: logits.shape, dtype: logits.dtype }], p)[0]!;
}

/** −log softmax(logits)[target] per position (shape of targets), 0 where the target is ignored:
 *  the per-token negative log-likelihood an evaluator sums. */
export function crossEntropyRows(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const p = check('crossEntropyRows', logits, targets, opts.ignoreIndex ?? -100);
  const [loss, lse] = rowsForward(logits, targets, p);
  record(loss, [logits, targets], 'crossEntropyRows', (g) => {
    const dl = rowsBackward(logits, targets, lse, g, p);
    lse.dispose(); // the node runs once (the graph is freed as it goes)
    return [dl, null];
  });
  if (!loss.requiresGrad) lse.dispose();
  return loss;
}

/** Mean of −log softmax(logits)[target] over non-ignored targets, as a scalar (shape []);
 *  0 with zero gradient when every target is ignored. */
export function crossEntropy(logits: Tensor, targets: Tensor, opts: CrossEntropyOptions = {}): Tensor {
  const p = check('crossEntropy', logits, targets, opts.ignoreIndex ?? -100);
  const dtype = logits.dtype;
  const [rowLoss, lse] = rowsForward(logits, targets, p);
  const mp: MeanP = { rows: p.rows, ignore: p.ignore };
  const [loss, count] = launch(
    ceMeanK,
    [rowLoss, targets],
    [
      { shape: [], dtype },
      { shape: [1], dtype },
    ],
    mp,
  );
  rowLoss.dispose();
  record(loss!, [logits, targets], 'crossEntropy', (g) => {
    const [gRows] = launch(ceMeanBwdK, [g, count!, targets], [{ shape: targets.shape, dtype }], mp);
    const dl = rowsBackward(logits, targets, lse, gRows!, p);
    for (const t of [gRows!, lse, count!]) t.dispose();
    return [dl, null];
  });
  if (!loss!.requiresGrad) {
    lse.dispose();
    count!.dispose();
  }
  return loss!;
}
