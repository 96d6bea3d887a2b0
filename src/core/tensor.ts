// Tensor: a shape, a dtype and a reference-counted storage on one backend, plus the autograd
// node that made it. Tensors are always contiguous; reshape shares storage, every other view
// op copies through a kernel. GPU memory is invisible to the garbage collector, so tensors are
// freed by `dispose()` or by the `scope` they were created in.
import type { Backend, Storage } from '../backend/backend.ts';
import { type DType, type TypedArray, allocArray, dtypeOf } from './dtype.ts';
import { type Shape, checkShape, fmt, numel } from './shape.ts';

interface StorageRef {
  storage: Storage;
  backend: Backend;
  refs: number;
  /** Bumped by every in-place write, so values derived from the contents can be cached. */
  version: number;
  /** Values computed from these contents (e.g. a transposed weight), valid for one version. */
  derived?: Map<string, { version: number; value: Tensor }>;
}

/** How a tensor was made: its inputs and the vector-Jacobian product of the op. */
export interface GradNode {
  op: string;
  inputs: Tensor[];
  /** Given dL/dout, returns dL/dinput for each input (null where none is needed). */
  backward(g: Tensor): (Tensor | null | undefined)[];
}

let nextId = 0;

export class Tensor {
  readonly id = nextId++;
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly backend: Backend;
  requiresGrad = false;
  grad: Tensor | null = null;
  node: GradNode | null = null;
  /** Kept tensors (parameters, optimizer state, gradients) survive scopes. */
  kept = false;
  private ref: StorageRef | null;

  constructor(ref: StorageRef, shape: Shape, dtype: DType) {
    this.ref = ref;
    this.shape = Object.freeze([...shape]);
    this.dtype = dtype;
    this.backend = ref.backend;
    track(this);
  }

  get size(): number {
    return numel(this.shape);
  }
  get rank(): number {
    return this.shape.length;
  }
  get disposed(): boolean {
    return this.ref === null;
  }

  /** The backend storage; throws if the tensor was disposed. */
  get storage(): Storage {
    if (!this.ref) throw new Error(`tensor #${this.id} ${fmt(this.shape)} ${this.dtype} was used after dispose()`);
    return this.ref.storage;
  }

  /** Copies the contents to the host (waits for pending GPU work). */
  async data(): Promise<TypedArray> {
    return this.backend.download(this.storage);
  }

  /** Synchronous read on backends that allow it (CPU); throws on WebGPU. */
  dataSync(): TypedArray {
    if (!this.backend.readSync) throw new Error(`dataSync() is not available on the ${this.backend.name} backend; use await t.data()`);
    return this.backend.readSync(this.storage);
  }

  async item(): Promise<number> {
    if (this.size !== 1) throw new Error(`item() needs a tensor with one element, got shape ${fmt(this.shape)}`);
    return (await this.data())[0]!;
  }

  /** Shares storage with a new shape (no copy). The result is part of the autograd graph. */
  reshape(shape: Shape): Tensor {
    const resolved = resolveReshape(this.shape, shape);
    const out = this.alias(resolved);
    record(out, [this], 'reshape', (g) => [g.reshape(this.shape)]);
    return out;
  }

  /** A new tensor object sharing this storage, outside the graph. */
  detach(): Tensor {
    return this.alias(this.shape);
  }

  /** A new tensor object on the same storage (refcount + 1), no autograd link. */
  alias(shape: Shape): Tensor {
    const ref = this.liveRef();
    ref.refs++;
    return new Tensor(ref, shape, this.dtype);
  }

  /** Changes on every in-place write to the storage (shared by aliases). */
  get version(): number {
    return this.liveRef().version;
  }

  /** Records that the storage was written in place (launchInPlace and write() call this). */
  bumpVersion(): void {
    const ref = this.liveRef();
    ref.version++;
    if (ref.derived) {
      for (const d of ref.derived.values()) d.value.dispose();
      ref.derived.clear();
    }
  }

  /** Overwrites the contents from the host. */
  write(data: TypedArray): void {
    this.backend.upload(this.storage, data);
    this.bumpVersion();
  }

  /** A value computed from this tensor's contents, computed once per version and kept until
   *  the next write or dispose (e.g. the transposed copy of a weight that matmul reuses). */
  derived(key: string, make: () => Tensor): Tensor {
    const ref = this.liveRef();
    ref.derived ??= new Map();
    const hit = ref.derived.get(key);
    if (hit && hit.version === ref.version) return hit.value;
    hit?.value.dispose();
    const value = make().keep();
    ref.derived.set(key, { version: ref.version, value });
    return value;
  }

  /** Marks the tensor as surviving scopes (parameters, optimizer state). */
  keep(): this {
    this.kept = true;
    untrack(this);
    return this;
  }

  dispose(): void {
    const ref = this.ref;
    if (!ref) return;
    this.ref = null;
    this.node = null;
    untrack(this);
    if (--ref.refs === 0) {
      if (ref.derived) for (const d of ref.derived.values()) d.value.dispose();
      ref.backend.free(ref.storage);
    }
  }

  /** Reverse-mode autodiff from this tensor. Gradients accumulate into `.grad` of leaves that
   *  require grad; call `zeroGrad` (or dispose grads) between steps. */
  backward(grad?: Tensor): void {
    runBackward(this, grad);
  }

  toString(): string {
    return `Tensor(#${this.id} ${fmt(this.shape)} ${this.dtype} on ${this.backend.name}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }

  private liveRef(): StorageRef {
    if (!this.ref) throw new Error(`tensor #${this.id} ${fmt(this.shape)} ${this.dtype} was used after dispose()`);
    return this.ref;
  }
}

function resolveReshape(from: Shape, to: Shape): number[] {
  const n = numel(from);
  const out = [...to];
  const infer = out.indexOf(-1);
  if (infer !== out.lastIndexOf(-1)) throw new Error(`reshape ${fmt(from)} -> ${fmt(to)}: only one dimension may be -1`);
  if (infer >= 0) {
    const rest = numel(out.filter((_, i) => i !== infer));
    if (rest === 0 || n % rest !== 0) throw new Error(`reshape ${fmt(from)} -> ${fmt(to)}: cannot infer the -1 dimension`);
    out[infer] = n / rest;
  }
  checkShape(out, 'reshape target');
  if (numel(out) !== n) throw new Error(`reshape ${fmt(from)} -> ${fmt(to)}: ${n} elements cannot become ${numel(out)}`);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Creation

let defaultBackendValue: Backend | null = null;
let defaultBackendFactory: (() => Backend) | null = null;

/** Registers how to build the default backend lazily (the CPU backend registers itself). */
export function setDefaultBackendFactory(f: () => Backend): void {
  defaultBackendFactory = f;
}
export function setDefaultBackend(b: Backend): void {
  defaultBackendValue = b;
}
export function defaultBackend(): Backend {
  if (!defaultBackendValue) {
    if (!defaultBackendFactory) throw new Error('no default backend: import the cpu backend or call setDefaultBackend');
    defaultBackendValue = defaultBackendFactory();
  }
  return defaultBackendValue;
}

export interface CreateOptions {
  dtype?: DType;
  backend?: Backend;
  requiresGrad?: boolean;
}

/** An uninitialised tensor (contents are whatever the allocator returns). */
export function empty(shape: Shape, dtype: DType = 'f32', backend: Backend = defaultBackend()): Tensor {
  checkShape(shape);
  if (!backend.supports(dtype)) throw new Error(`the ${backend.name} backend does not support dtype ${dtype}`);
  const storage = backend.alloc(dtype, numel(shape));
  return new Tensor({ storage, backend, refs: 1, version: 0 }, shape, dtype);
}

/** A tensor holding `data` (copied), e.g. `fromArray([1, 2, 3, 4], [2, 2])`. */
export function fromArray(data: ArrayLike<number>, shape: Shape = [data.length], opts: CreateOptions = {}): Tensor {
  const dtype = opts.dtype ?? (ArrayBuffer.isView(data) ? dtypeOf(data as TypedArray) : 'f32');
  checkShape(shape);
  if (numel(shape) !== data.length)
    throw new Error(`fromArray: ${data.length} values do not fill shape ${fmt(shape)} (${numel(shape)} elements)`);
  const t = empty(shape, dtype, opts.backend);
  // upload copies, so an array already of the tensor's type goes as it is
  const ready =
    (dtype === 'f32' && data instanceof Float32Array) ||
    (dtype === 'f64' && data instanceof Float64Array) ||
    (dtype === 'i32' && data instanceof Int32Array);
  let arr: TypedArray;
  if (ready) arr = data;
  else {
    arr = allocArray(dtype, data.length);
    arr.set(data);
  }
  t.backend.upload(t.storage, arr);
  t.requiresGrad = opts.requiresGrad ?? false;
  return t;
}

export function full(shape: Shape, value: number, opts: CreateOptions = {}): Tensor {
  checkShape(shape);
  const arr = allocArray(opts.dtype ?? 'f32', numel(shape));
  arr.fill(value);
  return fromArray(arr, shape, opts);
}
export const zeros = (shape: Shape, opts: CreateOptions = {}) => full(shape, 0, opts);
export const ones = (shape: Shape, opts: CreateOptions = {}) => full(shape, 1, opts);

// ---------------------------------------------------------------------------------------------
// Scopes: every tensor created while a scope is open is disposed when it closes, unless it is
// returned from the scope (then it moves to the enclosing scope) or kept.

const scopes: Set<Tensor>[] = [];

function track(t: Tensor): void {
  scopes[scopes.length - 1]?.add(t);
}
function untrack(t: Tensor): void {
  for (const s of scopes) s.delete(t);
}

function collectTensors(v: unknown, out: Set<Tensor>, depth = 0): void {
  if (v instanceof Tensor) out.add(v);
  else if (depth < 4 && Array.isArray(v)) for (const x of v) collectTensors(x, out, depth + 1);
  else if (depth < 4 && v instanceof Map) for (const x of v.values()) collectTensors(x, out, depth + 1);
  else if (depth < 4 && v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    for (const x of Object.values(v)) collectTensors(x, out, depth + 1);
  }
}

function closeScope(result: unknown): void {
  const s = scopes.pop()!;
  const keep = new Set<Tensor>();
  collectTensors(result, keep);
  const parent = scopes[scopes.length - 1];
  for (const t of s) {
    if (keep.has(t)) parent?.add(t);
    else if (!t.kept) t.dispose();
  }
}

/** Runs `fn`, then disposes every tensor it created except those it returns. */
export function scope<T>(fn: () => T): T {
  scopes.push(new Set());
  let result: T | undefined;
  try {
    result = fn();
    if (result instanceof Promise) throw new Error('scope(fn) got an async function; use scopeAsync');
    return result;
  } finally {
    closeScope(result);
  }
}

/** Async variant of `scope`. Scopes are a stack: do not interleave two async scopes. */
export async function scopeAsync<T>(fn: () => Promise<T>): Promise<T> {
  scopes.push(new Set());
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    closeScope(result);
  }
}

// ---------------------------------------------------------------------------------------------
// Autograd

let noGradDepth = 0;

export function isGradEnabled(): boolean {
  return noGradDepth === 0;
}

/** Runs `fn` without recording the graph (inference, optimizer updates, backward itself). */
export function noGrad<T>(fn: () => T): T {
  noGradDepth++;
  try {
    return fn();
  } finally {
    noGradDepth--;
  }
}

/** Links `out` to its inputs if any of them needs a gradient. Ops call this after computing. */
export function record(out: Tensor, inputs: Tensor[], op: string, backward: GradNode['backward']): void {
  if (noGradDepth > 0 || !inputs.some((t) => t.requiresGrad)) return;
  out.requiresGrad = true;
  out.node = { op, inputs, backward };
}

function topoOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const stack: [Tensor, boolean][] = [[root, false]];
  while (stack.length) {
    const [t, done] = stack.pop()!;
    if (done) {
      order.push(t);
      continue;
    }
    if (seen.has(t)) continue;
    seen.add(t);
    stack.push([t, true]);
    for (const i of t.node?.inputs ?? []) if (i.requiresGrad && !seen.has(i)) stack.push([i, false]);
  }
  return order.reverse(); // root first
}

function runBackward(root: Tensor, grad?: Tensor): void {
  if (!root.requiresGrad) throw new Error(`backward() on ${root}: it does not require grad (no input of the graph requires grad)`);
  if (!grad && root.size !== 1) {
    throw new Error(`backward() on a non-scalar tensor of shape ${fmt(root.shape)} needs a gradient argument of the same shape`);
  }
  if (grad && (grad.shape.length !== root.shape.length || grad.shape.some((d, i) => d !== root.shape[i]))) {
    throw new Error(`backward(): gradient shape ${fmt(grad.shape)} does not match tensor shape ${fmt(root.shape)}`);
  }
  noGrad(() => {
    const grads = new Map<Tensor, Tensor>();
    const seed = grad ? grad.alias(grad.shape) : full(root.shape, 1, { dtype: root.dtype, backend: root.backend });
    grads.set(root, seed);
    for (const t of topoOrder(root)) {
      const g = grads.get(t);
      if (!g) continue;
      if (!t.node) {
        // a leaf: accumulate into .grad
        grads.delete(t);
        if (t.grad) {
          const sum = accumulate(t.grad, g);
          t.grad.dispose();
          g.dispose();
          t.grad = sum.keep();
        } else t.grad = g.keep();
        continue;
      }
      const node = t.node;
      const gins = node.backward(g);
      const owned = new Set<Tensor>();
      node.inputs.forEach((inp, i) => {
        let gi = gins[i];
        if (!gi || !inp.requiresGrad) return;
        if (gi.shape.length !== inp.shape.length || gi.shape.some((d, k) => d !== inp.shape[k])) {
          throw new Error(`internal: backward of ${node.op} gave gradient ${fmt(gi.shape)} for input ${fmt(inp.shape)}`);
        }
        // Each map entry owns its own tensor object, so disposing one never frees another's storage.
        if (gi === g || owned.has(gi)) gi = gi.alias(gi.shape);
        owned.add(gi);
        const prev = grads.get(inp);
        if (prev) {
          grads.set(inp, accumulate(prev, gi));
          prev.dispose();
          gi.dispose();
        } else grads.set(inp, gi);
      });
      grads.delete(t);
      g.dispose();
      t.node = null; // free the graph as we go, like PyTorch
    }
  });
}

/** a + b for gradients of equal shape; the op layer installs the real kernel (avoids an import cycle). */
let addForGrad: ((a: Tensor, b: Tensor) => Tensor) | null = null;
export function setGradAccumulator(f: (a: Tensor, b: Tensor) => Tensor): void {
  addForGrad = f;
}
function accumulate(a: Tensor, b: Tensor): Tensor {
  if (!addForGrad) throw new Error('internal: no gradient accumulator registered (import src/ops)');
  return addForGrad(a, b);
}

/** Clears `.grad` of the given tensors, freeing their memory. */
export function zeroGrad(params: Iterable<Tensor>): void {
  for (const p of params) {
    p.grad?.dispose();
    p.grad = null;
  }
}
