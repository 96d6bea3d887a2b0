// Reductions along one axis (sum, mean, max, logsumexp) and fused softmax / log-softmax.
// Every kernel views its input as [outer, n, inner] (`around`) and works on rows: a row is one
// (outer, inner) pair whose n elements lie `inner` apart; its result sits at o * inner + i, which
// is the layout of the reduced tensor with or without keepDims.
import type { GpuLaunch, Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import type { TypedArray } from '../core/dtype.ts';
import { floatDType, launch } from '../core/launch.ts';
import { around, fmt, normAxis } from '../core/shape.ts';
import { type Tensor, record } from '../core/tensor.ts';

const WG = 256;

/** Threads that cooperate on one row on the GPU. A tree reduction only pays on long rows, and
 *  each distinct value is a separate pipeline, so there are three. */
export function threadsPerRow(n: number): number {
  return n <= 64 ? 1 : n <= 2048 ? 32 : 256;
}

interface RowsP {
  outer: number;
  n: number;
  inner: number;
  code: number;
}

function rowsLaunch(entry: string, p: RowsP): GpuLaunch {
  const rows = p.outer * p.inner;
  const tpr = threadsPerRow(p.n);
  return {
    shader: 'reduce',
    entry,
    constants: { TPR: tpr },
    uniforms: [rows, p.n, p.inner, p.code],
    workgroups: linearGrid(rows * tpr, WG),
  };
}

/** Calls f(base, out) for every row: element j of the row is at base + j * inner. */
function eachRow(p: RowsP, f: (base: number, out: number) => void): void {
  const { outer, n, inner } = p;
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) f(o * n * inner + i, o * inner + i);
}

function rowMax(x: TypedArray, base: number, n: number, inner: number): number {
  let m = -Infinity;
  for (let j = 0; j < n; j++) m = Math.max(m, x[base + j * inner]!);
  return m;
}

/** The shift for exp(x - c): the max, or 0 when it is infinite (keeps inf - inf out). */
const shift = (m: number) => (Number.isFinite(m) ? m : 0);

// ---------------------------------------------------------------------------------------------
// Forward kernels

const SUM = 0,
  MEAN = 1,
  LSE = 2;

const reduceK: Kernel<RowsP> = {
  name: 'reduce_rows',
  cpu([x], [y], p) {
    const { n, inner, code } = p;
    eachRow(p, (base, out) => {
      const c = code === LSE ? shift(rowMax(x!, base, n, inner)) : 0;
      let s = 0;
      for (let j = 0; j < n; j++) {
        const v = x![base + j * inner]!;
        s += code === LSE ? Math.exp(v - c) : v;
      }
      y![out] = code === MEAN ? s / n : code === LSE ? c + Math.log(s) : s;
    });
  },
  gpu: (p) => rowsLaunch('reduce_rows', p),
};

/** Outputs the max and the index of its first occurrence (i32). */
const maxK: Kernel<RowsP> = {
  name: 'max_rows',
  cpu([x], [y, idx], p) {
    const { n, inner } = p;
    eachRow(p, (base, out) => {
      let m = -Infinity;
      let k = 0;
      for (let j = 0; j < n; j++) {
        const v = x![base + j * inner]!;
        if (v > m) {
          m = v;
          k = j;
        }
      }
      y![out] = m;
      idx![out] = k;
    });
  },
  gpu: (p) => rowsLaunch('max_rows', p),
};

const SOFTMAX = 0,
  LOG_SOFTMAX = 1;

const softmaxK: Kernel<RowsP> = {
  name: 'softmax_rows',
  cpu([x], [y], p) {
    const { n, inner, code } = p;
    eachRow(p, (base) => {
      const c = shift(rowMax(x!, base, n, inner));
      let s = 0;
      for (let j = 0; j < n; j++) s += Math.exp(x![base + j * inner]! - c);
      const logs = Math.log(s);
      for (let j = 0; j < n; j++) {
        const at = base + j * inner;
        const z = x![at]! - c;
        y![at] = code === LOG_SOFTMAX ? z - logs : Math.exp(z) / s;
      }
    });
  },
  gpu: (p) => rowsLaunch('softmax_rows', p),
};

// ---------------------------------------------------------------------------------------------
// Backward kernels

/** inputs [y, g] -> [dx]. softmax: dx = y (g - Σ g y); log-softmax: dx = g - exp(y) Σ g. */
const softmaxBwdK: Kernel<RowsP> = {
  name: 'softmax_bwd_rows',
  cpu([y, g], [dx], p) {
    const { n, inner, code } = p;
    eachRow(p, (base) => {
      let s = 0;
      for (let j = 0; j < n; j++) {
        const at = base + j * inner;
        s += code === LOG_SOFTMAX ? g![at]! : g![at]! * y![at]!;
      }
      for (let j = 0; j < n; j++) {
        const at = base + j * inner;
        dx![at] = code === LOG_SOFTMAX ? g![at]! - Math.exp(y![at]!) * s : y![at]! * (g![at]! - s);
      }
    });
  },
  gpu: (p) => rowsLaunch('softmax_bwd_rows', p),
};

interface ElemP {
  total: number;
  n: number;
  inner: number;
  scale: number;
}

const elemLaunch = (entry: string, p: ElemP): GpuLaunch => ({
  shader: 'reduce',
  entry,
  uniforms: [p.total, p.n, p.inner, { f32: p.scale }],
  workgroups: linearGrid(p.total, WG),
});

/** Row of input element e, and e's position j along the reduced axis. */
function rowAndPos(e: number, n: number, inner: number): [number, number] {
  const i = e % inner;
  const rest = (e - i) / inner;
  const j = rest % n;
  return [((rest - j) / n) * inner + i, j];
}

/** sum / mean backward: dx = g[row] · scale. */
const expandBwdK: Kernel<ElemP> = {
  name: 'expand_bwd',
  cpu([g], [dx], { total, n, inner, scale }) {
    for (let e = 0; e < total; e++) dx![e] = g![rowAndPos(e, n, inner)[0]]! * scale;
  },
  gpu: (p) => elemLaunch('expand_bwd', p),
};

/** max backward: inputs [idx, g]; the gradient reaches the recorded argmax only. */
const maxBwdK: Kernel<ElemP> = {
  name: 'max_bwd',
  cpu([idx, g], [dx], { total, n, inner }) {
    for (let e = 0; e < total; e++) {
      const [row, j] = rowAndPos(e, n, inner);
      dx![e] = idx![row] === j ? g![row]! : 0;
    }
  },
  gpu: (p) => elemLaunch('max_bwd', p),
};

/** logsumexp backward: inputs [x, y, g]; dx = g[row] · exp(x - y[row]). */
const lseBwdK: Kernel<ElemP> = {
  name: 'lse_bwd',
  cpu([x, y, g], [dx], { total, n, inner }) {
    for (let e = 0; e < total; e++) {
      const row = rowAndPos(e, n, inner)[0];
      dx![e] = g![row]! * Math.exp(x![e]! - y![row]!);
    }
  },
  gpu: (p) => elemLaunch('lse_bwd', p),
};

// ---------------------------------------------------------------------------------------------
// Ops

export interface ReduceOptions {
  /** Keep the reduced axis as size 1 (default: drop it). */
  keepDims?: boolean;
}

interface Plan {
  ax: number;
  outer: number;
  n: number;
  inner: number;
  outShape: number[];
}

function plan(op: string, x: Tensor, axis: number, keepDims: boolean, nonEmpty: boolean): Plan {
  floatDType(op, x);
  const ax = normAxis(axis, x.rank, op);
  const [outer, n, inner] = around(x.shape, ax);
  if (nonEmpty && n === 0) throw new Error(`${op}: cannot reduce over axis ${axis} of size 0 (shape ${fmt(x.shape)})`);
  const outShape = keepDims ? x.shape.map((d, i) => (i === ax ? 1 : d)) : x.shape.filter((_, i) => i !== ax);
  return { ax, outer, n, inner, outShape };
}

function sumOrMean(op: 'sum' | 'mean', x: Tensor, axis: number, opts: ReduceOptions): Tensor {
  const { outer, n, inner, outShape } = plan(op, x, axis, opts.keepDims ?? false, false);
  const [y] = launch(reduceK, [x], [{ shape: outShape, dtype: x.dtype }], { outer, n, inner, code: op === 'sum' ? SUM : MEAN });
  record(y!, [x], op, (g) => [
    launch(expandBwdK, [g], [{ shape: x.shape, dtype: x.dtype }], { total: x.size, n, inner, scale: op === 'sum' ? 1 : 1 / n })[0]!,
  ]);
  return y!;
}

/** Σ over `axis` (negative counts from the end). */
export function sum(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  return sumOrMean('sum', x, axis, opts);
}

/** Mean over `axis`. */
export function mean(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  return sumOrMean('mean', x, axis, opts);
}

function maxWithIndex(op: string, x: Tensor, axis: number, opts: ReduceOptions): [Tensor, Tensor, Plan] {
  const pl = plan(op, x, axis, opts.keepDims ?? false, true);
  const [y, idx] = launch(
    maxK,
    [x],
    [
      { shape: pl.outShape, dtype: x.dtype },
      { shape: pl.outShape, dtype: 'i32' },
    ],
    { outer: pl.outer, n: pl.n, inner: pl.inner, code: 0 },
  );
  return [y!, idx!, pl];
}

/** Max over `axis`. The gradient flows to the first position holding the max. */
export function max(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  const [y, idx, { n, inner }] = maxWithIndex('max', x, axis, opts);
  record(y, [x], 'max', (g) => [
    launch(maxBwdK, [idx, g], [{ shape: x.shape, dtype: x.dtype }], { total: x.size, n, inner, scale: 1 })[0]!,
  ]);
  // Without a graph node nothing holds the indices; with one, the enclosing scope frees them.
  if (!y.node) idx.dispose();
  return y;
}

/** Index (i32) of the first max along `axis`; not differentiable. */
export function argmax(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  const [y, idx] = maxWithIndex('argmax', x, axis, opts);
  y.dispose();
  return idx;
}

/** log Σ exp(x) over `axis`, computed as m + log Σ exp(x - m) with m the max. */
export function logsumexp(x: Tensor, axis: number, opts: ReduceOptions = {}): Tensor {
  const { outer, n, inner, outShape } = plan('logsumexp', x, axis, opts.keepDims ?? false, true);
  const [y] = launch(reduceK, [x], [{ shape: outShape, dtype: x.dtype }], { outer, n, inner, code: LSE });
  record(y!, [x], 'logsumexp', (g) => [
    launch(lseBwdK, [x, y!, g], [{ shape: x.shape, dtype: x.dtype }], { total: x.size, n, inner, scale: 1 })[0]!,
  ]);
  return y!;
}

/** Σ of every element, as a scalar (shape []). */
export function sumAll(x: Tensor): Tensor {
  return sum(x.reshape([x.size]), 0);
}

/** Mean of every element, as a scalar (shape []). */
export function meanAll(x: Tensor): Tensor {
  return mean(x.reshape([x.size]), 0);
}

function softmaxLike(op: 'softmax' | 'logSoftmax', x: Tensor, axis: number): Tensor {
  floatDType(op, x);
  const [outer, n, inner] = around(x.shape, normAxis(axis, x.rank, op));
  const code = op === 'softmax' ? SOFTMAX : LOG_SOFTMAX;
  const p: RowsP = { outer, n, inner, code };
  const [y] = launch(softmaxK, [x], [{ shape: x.shape, dtype: x.dtype }], p);
  record(y!, [x], op, (g) => launch(softmaxBwdK, [y!, g], [{ shape: x.shape, dtype: x.dtype }], p));
  return y!;
}

/** exp(x - max) / Σ exp(x - max) along `axis` (fused, one launch each way). */
export function softmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('softmax', x, axis);
}

/** x - max - log Σ exp(x - max) along `axis`. */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  return softmaxLike('logSoftmax', x, axis);
}
