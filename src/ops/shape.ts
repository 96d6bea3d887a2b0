// Shape ops that move data: permute / transpose, slice, concat / split / chunk, and zerosLike.
// Tensors are contiguous, so each of these copies; one strided-copy kernel does all of them and
// their backwards. It copies raw elements, so it works for f32, f64 (cpu) and i32 (token ids).
import type { Kernel } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import { launch, launchInPlace } from '../core/launch.ts';
import { type Shape, fmt, normAxis, numel, stridesOf } from '../core/shape.ts';
import { type Tensor, empty, record } from '../core/tensor.ts';
import { MAX_RANK, fillOn } from './elementwise.ts';

const WG = 256;

// ---------------------------------------------------------------------------------------------
// dst[dstOffset + Σ c_d dst_d] = src[srcOffset + Σ c_d src_d] for every coordinate c of `shape`.
interface CopyP {
  n: number;
  shape: number[];
  src: number[];
  dst: number[];
  srcOffset: number;
  dstOffset: number;
}

const padEnd = (xs: number[], fill: number) => [...xs, ...new Array<number>(MAX_RANK - xs.length).fill(fill)];

export const copyK: Kernel<CopyP> = {
  name: 'strided_copy',
  cpu([s], [d], { n, shape, src, dst, srcOffset, dstOffset }) {
    if (n === 0) return;
    if (shape.length === 0) {
      d![dstOffset] = s![srcOffset]!;
      return;
    }
    // An odometer over the outer dims, a plain loop over the last one.
    const last = shape.length - 1;
    const len = shape[last]!,
      ss = src[last]!,
      ds = dst[last]!;
    const c = new Array<number>(last).fill(0);
    let si = srcOffset;
    let di = dstOffset;
    for (let k = 0; k < n; k += len) {
      for (let j = 0; j < len; j++) d![di + j * ds] = s![si + j * ss]!;
      for (let a = last - 1; a >= 0; a--) {
        si += src[a]!;
        di += dst[a]!;
        if (++c[a]! < shape[a]!) break;
        si -= src[a]! * shape[a]!;
        di -= dst[a]! * shape[a]!;
        c[a] = 0;
      }
    }
  },
  gpu: (p) => {
    if (p.shape.length > MAX_RANK)
      throw new Error(`strided copy: rank ${p.shape.length} (after merging contiguous dims) exceeds the GPU limit ${MAX_RANK}`);
    return {
      shader: 'shape',
      entry: 'strided_copy',
      uniforms: [p.n, p.shape.length, p.srcOffset, p.dstOffset, ...padEnd(p.shape, 1), ...padEnd(p.src, 0), ...padEnd(p.dst, 0)],
      workgroups: linearGrid(p.n, WG),
    };
  },
};

/** Builds copy parameters, dropping size-1 dims and merging dims that are contiguous in both
 *  source and destination: fewer index steps, and most ranks > 8 fit the GPU kernel. */
function copyPlan(shape: Shape, src: number[], dst: number[], srcOffset: number, dstOffset: number): CopyP {
  const dims: [number, number, number][] = [];
  for (let d = 0; d < shape.length; d++) {
    const size = shape[d]!;
    if (size === 1) continue;
    const prev = dims[dims.length - 1];
    if (prev && prev[1] === src[d]! * size && prev[2] === dst[d]! * size) dims[dims.length - 1] = [prev[0] * size, src[d]!, dst[d]!];
    else dims.push([size, src[d]!, dst[d]!]);
  }
  return { n: numel(shape), shape: dims.map((x) => x[0]), src: dims.map((x) => x[1]), dst: dims.map((x) => x[2]), srcOffset, dstOffset };
}

/** Copies `src` (whole) into `dst` at element offset `dstOffset` with destination strides `dstStrides`. */
function copyInto(src: Tensor, dst: Tensor, dstStrides: number[], dstOffset: number): void {
  if (src.size === 0) return;
  launchInPlace(copyK, [src], [dst], copyPlan(src.shape, stridesOf(src.shape), dstStrides, 0, dstOffset));
}

// ---------------------------------------------------------------------------------------------
// Helpers

/** A zero tensor with x's shape, dtype and backend (filled on the device). */
export function zerosLike(x: Tensor): Tensor {
  return fillOn(x.backend, x.shape, 0, x.dtype);
}

// ---------------------------------------------------------------------------------------------
// permute / transpose

/** Reorders axes: out.shape[k] = x.shape[dims[k]] (negative axes count from the end). */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  const r = x.rank;
  const bad = () => new Error(`permute: ${fmt(dims)} is not a permutation of the ${r} axes of shape ${fmt(x.shape)}`);
  if (dims.length !== r) throw bad();
  const perm = dims.map((d) => (Number.isInteger(d) && d >= -r && d < r ? (d < 0 ? d + r : d) : -1));
  if (perm.includes(-1) || new Set(perm).size !== r) throw bad();
  const inverse = new Array<number>(r);
  perm.forEach((d, k) => (inverse[d] = k));
  if (perm.every((d, k) => d === k)) return x.reshape(x.shape); // identity: no copy, stays in the graph
  const shape = perm.map((d) => x.shape[d]!);
  const xs = stridesOf(x.shape);
  const [y] = launch(
    copyK,
    [x],
    [{ shape, dtype: x.dtype }],
    copyPlan(
      shape,
      perm.map((d) => xs[d]!),
      stridesOf(shape),
      0,
      0,
    ),
  );
  record(y!, [x], 'permute', (g) => [permute(g, inverse)]);
  return y!;
}

/** Swaps two axes. */
export function transpose(x: Tensor, a: number, b: number): Tensor {
  const ia = normAxis(a, x.rank, 'transpose');
  const ib = normAxis(b, x.rank, 'transpose');
  const dims = x.shape.map((_, i) => (i === ia ? ib : i === ib ? ia : i));
  return permute(x, dims);
}

// ---------------------------------------------------------------------------------------------
// slice

/** Elements start ≤ k < end along `axis` (negative start/end count from the end; end defaults
 *  to the axis size). */
export function slice(x: Tensor, axis: number, start: number, end?: number): Tensor {
  const ax = normAxis(axis, x.rank, 'slice');
  const size = x.shape[ax]!;
  const s = start < 0 ? start + size : start;
  const e = end === undefined ? size : end < 0 ? end + size : end;
  if (!Number.isInteger(s) || !Number.isInteger(e) || s < 0 || e > size || s > e) {
    throw new Error(`slice: range [${start}, ${end ?? size}) is out of bounds for axis ${axis} of size ${size} (shape ${fmt(x.shape)})`);
  }
  if (s === 0 && e === size) return x.reshape(x.shape);
  const shape = x.shape.map((d, i) => (i === ax ? e - s : d));
  const xs = stridesOf(x.shape);
  const [y] = launch(copyK, [x], [{ shape, dtype: x.dtype }], copyPlan(shape, xs, stridesOf(shape), s * xs[ax]!, 0));
  record(y!, [x], 'slice', (g) => {
    // scatter g into zeros of x's shape
    const dx = zerosLike(x);
    copyInto(g, dx, xs, s * xs[ax]!);
    return [dx];
  });
  return y!;
}

// ---------------------------------------------------------------------------------------------
// concat / split / chunk

/** Joins tensors along `axis`; all other dims, the dtype and the backend must agree. */
export function concat(ts: readonly Tensor[], axis: number): Tensor {
  const first = ts[0];
  if (!first) throw new Error('concat: needs at least one tensor');
  const ax = normAxis(axis, first.rank, 'concat');
  const shapes = () => ts.map((t) => fmt(t.shape)).join(', ');
  for (const t of ts) {
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
      throw new Error(`concat: shapes ${shapes()} differ outside axis ${axis}`);
    }
    if (t.dtype !== first.dtype) throw new Error(`concat: dtype mismatch ${first.dtype} vs ${t.dtype} (shapes ${shapes()})`);
    if (t.backend !== first.backend)
      throw new Error(`concat: tensors live on different backends (${first.backend.name} and ${t.backend.name})`);
  }
  if (ts.length === 1) return first.reshape(first.shape);
  const starts: number[] = [];
  let total = 0;
  for (const t of ts) {
    starts.push(total);
    total += t.shape[ax]!;
  }
  const shape = first.shape.map((d, i) => (i === ax ? total : d));
  const y = empty(shape, first.dtype, first.backend);
  const ys = stridesOf(shape);
  ts.forEach((t, k) => copyInto(t, y, ys, starts[k]! * ys[ax]!));
  record(y, [...ts], 'concat', (g) => ts.map((t, k) => (t.requiresGrad ? slice(g, ax, starts[k]!, starts[k]! + t.shape[ax]!) : null)));
  return y;
}

/** Splits along `axis` into pieces of the given sizes (which must add up to the axis size). */
export function split(x: Tensor, sizes: readonly number[], axis: number): Tensor[] {
  const ax = normAxis(axis, x.rank, 'split');
  const total = sizes.reduce((a, b) => a + b, 0);
  if (sizes.some((s) => !Number.isInteger(s) || s < 0) || total !== x.shape[ax]) {
    throw new Error(`split: sizes ${fmt(sizes)} do not add up to axis ${axis} of shape ${fmt(x.shape)}`);
  }
  let at = 0;
  return sizes.map((s) => {
    const piece = slice(x, ax, at, at + s);
    at += s;
    return piece;
  });
}

/** Splits along `axis` into `count` equal pieces. */
export function chunk(x: Tensor, count: number, axis: number): Tensor[] {
  const ax = normAxis(axis, x.rank, 'chunk');
  const size = x.shape[ax]!;
  if (!Number.isInteger(count) || count < 1 || size % count !== 0) {
    throw new Error(`chunk: axis ${axis} of shape ${fmt(x.shape)} cannot be split into ${count} equal pieces`);
  }
  return split(x, new Array<number>(count).fill(size / count), ax);
}

/** In place: dst[..., start:start + src.shape[axis], ...] = src (a KV cache write). Not part of
 *  the autograd graph; every dim but `axis` must match and dtypes must agree. */
export function writeSlice(dst: Tensor, src: Tensor, axis: number, start: number): void {
  const ax = normAxis(axis, dst.rank, 'writeSlice');
  const len = src.shape[ax];
  if (src.rank !== dst.rank || src.shape.some((d, i) => i !== ax && d !== dst.shape[i])) {
    throw new Error(`writeSlice: source ${fmt(src.shape)} does not fit destination ${fmt(dst.shape)} outside axis ${axis}`);
  }
  if (!Number.isInteger(start) || start < 0 || start + len! > dst.shape[ax]!) {
    throw new Error(
      `writeSlice: rows [${start}, ${start + len!}) are out of bounds for axis ${axis} of size ${dst.shape[ax]} (destination ${fmt(dst.shape)})`,
    );
  }
  if (src.dtype !== dst.dtype) throw new Error(`writeSlice: dtype mismatch ${dst.dtype} vs ${src.dtype}`);
  const ds = stridesOf(dst.shape);
  copyInto(src, dst, ds, start * ds[ax]!);
}
