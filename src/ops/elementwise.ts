// Elementwise ops: unary maps (with their derivatives beside them), broadcasting binary ops,
// and sumTo, the reduction that undoes broadcasting in backward.
import type { Backend, Kernel, Uniform } from '../backend/backend.ts';
import { linearGrid } from '../backend/backend.ts';
import type { DType, TypedArray } from '../core/dtype.ts';
import { floatDType, launch } from '../core/launch.ts';
import { type Shape, broadcastShapes, broadcastStrides, fmt, numel, sameShape, stridesOf } from '../core/shape.ts';
import { type Tensor, record, setGradAccumulator } from '../core/tensor.ts';

const WG = 256;
/** GPU kernels take shapes of rank ≤ MAX_RANK (padded with leading 1s). */
export const MAX_RANK = 8;

// ---------------------------------------------------------------------------------------------
// Unary: y = f(x; alpha) and dx = g · f'(x; alpha). Codes are shared with shaders/elementwise.wgsl.
export const UNARY = {
  neg: 0,
  exp: 1,
  log: 2,
  sqrt: 3,
  rsqrt: 4,
  silu: 5,
  sigmoid: 6,
  pow: 7,
  scale: 8,
  addScalar: 9,
  relu: 10,
  tanh: 11,
} as const;
export type UnaryOp = keyof typeof UNARY;

const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
const fwd: Record<UnaryOp, (x: number, a: number) => number> = {
  neg: (x) => -x,
  exp: (x) => Math.exp(x),
  log: (x) => Math.log(x),
  sqrt: (x) => Math.sqrt(x),
  rsqrt: (x) => 1 / Math.sqrt(x),
  silu: (x) => x * sigmoid(x),
  sigmoid: (x) => sigmoid(x),
  pow: (x, a) => Math.pow(x, a),
  scale: (x, a) => x * a,
  addScalar: (x, a) => x + a,
  // biome-ignore lint/complexity/useMathMinMax: the WGSL kernel's select: NaN and -0 map to 0, as Math.max would not
  relu: (x) => (x > 0 ? x : 0),
  tanh: (x) => Math.tanh(x),
};
/** f'(x) for each op. */
const deriv: Record<UnaryOp, (x: number, a: number) => number> = {
  neg: () => -1,
  exp: (x) => Math.exp(x),
  log: (x) => 1 / x,
  sqrt: (x) => 0.5 / Math.sqrt(x),
  rsqrt: (x) => -0.5 * Math.pow(x, -1.5),
  silu: (x) => {
    const s = sigmoid(x);
    return s * (1 + x * (1 - s));
  },
  sigmoid: (x) => {
    const s = sigmoid(x);
    return s * (1 - s);
  },
  pow: (x, a) => a * Math.pow(x, a - 1),
  scale: (_x, a) => a,
  addScalar: () => 1,
  relu: (x) => (x > 0 ? 1 : 0),
  tanh: (x) => 1 - Math.tanh(x) ** 2,
};

interface UnaryP {
  op: UnaryOp;
  n: number;
  alpha: number;
}
const unaryUniforms = (p: UnaryP): Uniform[] => [p.n, UNARY[p.op], { f32: p.alpha }];

const unaryFwdK: Kernel<UnaryP> = {
  name: 'unary_fwd',
  cpu([x], [y], { op, n, alpha }) {
    const f = fwd[op];
    for (let i = 0; i < n; i++) y![i] = f(x![i]!, alpha);
  },
  gpu: (p) => ({ shader: 'elementwise', entry: 'unary_fwd', uniforms: unaryUniforms(p), workgroups: linearGrid(p.n, WG) }),
};

const unaryBwdK: Kernel<UnaryP> = {
  name: 'unary_bwd',
  cpu([x, g], [dx], { op, n, alpha }) {
    const d = deriv[op];
    for (let i = 0; i < n; i++) dx![i] = g![i]! * d(x![i]!, alpha);
  },
  gpu: (p) => ({ shader: 'elementwise', entry: 'unary_bwd', uniforms: unaryUniforms(p), workgroups: linearGrid(p.n, WG) }),
};

export function unary(op: UnaryOp, x: Tensor, alpha = 0): Tensor {
  const dtype = floatDType(op, x);
  const p = { op, n: x.size, alpha };
  const [y] = launch(unaryFwdK, [x], [{ shape: x.shape, dtype }], p);
  record(y!, [x], op, (g) => launch(unaryBwdK, [x, g], [{ shape: x.shape, dtype }], p));
  return y!;
}

export const neg = (x: Tensor) => unary('neg', x);
export const exp = (x: Tensor) => unary('exp', x);
export const log = (x: Tensor) => unary('log', x);
export const sqrt = (x: Tensor) => unary('sqrt', x);
export const rsqrt = (x: Tensor) => unary('rsqrt', x);
export const silu = (x: Tensor) => unary('silu', x);
export const sigmoidOp = (x: Tensor) => unary('sigmoid', x);
export const relu = (x: Tensor) => unary('relu', x);
export const tanh = (x: Tensor) => unary('tanh', x);
/** x ** p for a scalar exponent. */
export const powScalar = (x: Tensor, p: number) => unary('pow', x, p);
export const mulScalar = (x: Tensor, s: number) => unary('scale', x, s);
export const addScalar = (x: Tensor, s: number) => unary('addScalar', x, s);

// ---------------------------------------------------------------------------------------------
// Binary with numpy broadcasting. Same-shape operands take a contiguous fast path (rank 0).
export const BINARY = { add: 0, sub: 1, mul: 2, div: 3 } as const;
export type BinaryOp = keyof typeof BINARY;

const bin: Record<BinaryOp, (a: number, b: number) => number> = {
  add: (a, b) => a + b,
  sub: (a, b) => a - b,
  mul: (a, b) => a * b,
  div: (a, b) => a / b,
};

interface BinaryP {
  op: BinaryOp;
  n: number;
  shape: number[];
  sa: number[];
  sb: number[];
}

function padTo<T>(xs: T[], n: number, fill: T): T[] {
  return [...new Array<T>(n - xs.length).fill(fill), ...xs];
}

/** Index of out element `i` in an operand with strides `s` (over out shape `shape`). */
function bcastIndex(i: number, shape: number[], s: number[]): number {
  let off = 0;
  for (let d = shape.length - 1; d >= 0; d--) {
    const c = i % shape[d]!;
    i = (i - c) / shape[d]!;
    off += c * s[d]!;
  }
  return off;
}

const binaryK: Kernel<BinaryP> = {
  name: 'binary',
  cpu([a, b], [y], { op, n, shape, sa, sb }) {
    const f = bin[op];
    if (shape.length === 0) for (let i = 0; i < n; i++) y![i] = f(a![i]!, b![i]!);
    else for (let i = 0; i < n; i++) y![i] = f(a![bcastIndex(i, shape, sa)]!, b![bcastIndex(i, shape, sb)]!);
  },
  gpu: (p) => {
    if (p.shape.length > MAX_RANK) throw new Error(`binary ${p.op}: rank ${p.shape.length} exceeds the GPU limit ${MAX_RANK}`);
    return {
      shader: 'elementwise',
      entry: 'binary',
      uniforms: [
        p.n,
        BINARY[p.op],
        p.shape.length,
        0,
        ...padTo(p.shape, MAX_RANK, 1),
        ...padTo(p.sa, MAX_RANK, 0),
        ...padTo(p.sb, MAX_RANK, 0),
      ],
      workgroups: linearGrid(p.n, WG),
    };
  },
};

function binary(op: BinaryOp, a: Tensor, b: Tensor): Tensor {
  const dtype = floatDType(op, a, b);
  const shape = broadcastShapes(a.shape, b.shape, op);
  const same = sameShape(a.shape, b.shape);
  const p: BinaryP = {
    op,
    n: numel(shape),
    shape: same ? [] : shape,
    sa: same ? [] : broadcastStrides(a.shape, shape),
    sb: same ? [] : broadcastStrides(b.shape, shape),
  };
  const [y] = launch(binaryK, [a, b], [{ shape, dtype }], p);
  record(y!, [a, b], op, (g) => {
    switch (op) {
      case 'add':
        return [sumTo(g, a.shape), sumTo(g, b.shape)];
      case 'sub':
        return [sumTo(g, a.shape), b.requiresGrad ? sumTo(neg(g), b.shape) : null];
      case 'mul':
        return [a.requiresGrad ? sumTo(mul(g, b), a.shape) : null, b.requiresGrad ? sumTo(mul(g, a), b.shape) : null];
      case 'div':
        return [a.requiresGrad ? sumTo(div(g, b), a.shape) : null, b.requiresGrad ? sumTo(neg(div(mul(g, y!), b)), b.shape) : null];
    }
  });
  return y!;
}

export const add = (a: Tensor, b: Tensor) => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor) => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor) => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor) => binary('div', a, b);

setGradAccumulator(add);

// ---------------------------------------------------------------------------------------------
// sumTo: sum `x` down to a shape it was broadcast from (dims of size 1, or missing on the left).
interface SumToP {
  nOut: number;
  count: number;
  kshape: number[];
  rshape: number[];
  strides: number[];
}

const sumToK: Kernel<SumToP> = {
  name: 'sum_to',
  cpu([x], [y], { nOut, count, kshape, rshape, strides }) {
    for (let o = 0; o < nOut; o++) {
      const base = bcastIndex(o, kshape, strides);
      let acc = 0;
      for (let j = 0; j < count; j++) acc += x![base + bcastIndex(j, rshape, strides)]!;
      y![o] = acc;
    }
  },
  gpu: (p) => {
    if (p.kshape.length > MAX_RANK) throw new Error(`sumTo: rank ${p.kshape.length} exceeds the GPU limit ${MAX_RANK}`);
    return {
      shader: 'elementwise',
      entry: 'sum_to',
      uniforms: [p.nOut, p.count, 0, 0, ...padTo(p.kshape, MAX_RANK, 1), ...padTo(p.rshape, MAX_RANK, 1), ...padTo(p.strides, MAX_RANK, 0)],
      workgroups: linearGrid(p.nOut, WG),
    };
  },
};

export function sumTo(x: Tensor, shape: Shape): Tensor {
  if (sameShape(x.shape, shape)) return x.reshape(shape); // identity, but stays in the graph
  const full = broadcastShapes(shape, x.shape, 'sumTo');
  if (!sameShape(full, x.shape)) throw new Error(`sumTo: ${fmt(x.shape)} was not broadcast from ${fmt(shape)}`);
  const padded = padTo([...shape], x.rank, 1);
  const kshape = padded;
  const rshape = x.shape.map((d, i) => (padded[i] === 1 ? d : 1));
  const p: SumToP = { nOut: numel(shape), count: numel(rshape), kshape, rshape, strides: stridesOf(x.shape) };
  const [y] = launch(sumToK, [x], [{ shape, dtype: floatDType('sumTo', x) }], p);
  // The derivative of a sum-to is a broadcast back: g + zeros-like x.
  record(y!, [x], 'sumTo', (g) => [broadcastTo(g, x.shape)]);
  return y!;
}

/** Materialises `x` broadcast to `shape` (a copy). */
export function broadcastTo(x: Tensor, shape: Shape): Tensor {
  const dtype = floatDType('broadcastTo', x);
  const s = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!sameShape(s, shape)) throw new Error(`broadcastTo: ${fmt(x.shape)} cannot be broadcast to ${fmt(shape)}`);
  const p: BinaryP = {
    op: 'add',
    n: numel(shape),
    shape: [...shape],
    sa: broadcastStrides(x.shape, shape),
    sb: new Array<number>(shape.length).fill(0),
  };
  // x + 0 through the broadcasting kernel: one launch, no extra kernel to maintain.
  const zero = zerosScalar(x);
  const [y] = launch(binaryK, [x, zero], [{ shape, dtype }], p);
  zero.dispose();
  record(y!, [x], 'broadcastTo', (g) => [sumTo(g, x.shape)]);
  return y!;
}

function zerosScalar(like: Tensor): Tensor {
  return fillOn(like.backend, [1], 0, like.dtype);
}

// ---------------------------------------------------------------------------------------------
// fill: constant tensors created on the device (no upload).
/** `int` selects the i32 entry: the GPU buffer holds raw bits, so an i32 fill must write ints. */
interface FillP {
  n: number;
  value: number;
  int?: boolean;
}
export const fillK: Kernel<FillP> = {
  name: 'fill',
  cpu(_in, [y], { n, value }) {
    (y as TypedArray).fill(value, 0, n);
  },
  gpu: (p) => ({
    shader: 'elementwise',
    entry: p.int ? 'fill_i32' : 'fill',
    uniforms: [p.n, p.int ? { i32: p.value } : { f32: p.value }],
    workgroups: linearGrid(p.n, WG),
  }),
};

/** A tensor filled with `value` on the device (no upload, so no forced submit). */
export function fillOn(backend: Backend, shape: Shape, value: number, dtype: DType = 'f32'): Tensor {
  const [t] = launch(fillK, [], [{ shape, dtype }], { n: numel(shape), value, int: dtype === 'i32' }, backend);
  return t!;
}
