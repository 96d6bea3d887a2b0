// Seeded random numbers: the same seed gives the same tensors on every backend and machine.
import type { Shape } from './shape.ts';
import { numel } from './shape.ts';
import { type CreateOptions, type Tensor, fromArray } from './tensor.ts';

/** xoshiro128** — small, fast, and good enough for initialisation and sampling. */
export class Rng {
  private s: Uint32Array;
  constructor(seed = 0) {
    // splitmix32 expands the seed into the four state words
    this.s = new Uint32Array(4);
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
  }
  nextU32(): number {
    const s = this.s;
    const r = Math.imul(rotl(Math.imul(s[1]!, 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1]! << 9) >>> 0;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return r;
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.nextU32() / 4294967296;
  }
  /** Standard normal (Box–Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** A new stream seeded from this one's next draw, without advancing this one. */
  peekFork(salt: number): Rng {
    const copy = new Rng(0);
    copy.s.set(this.s);
    return new Rng((copy.nextU32() ^ salt) >>> 0);
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

export interface RandomOptions extends CreateOptions {
  /** A seed or a generator to draw from (a generator advances). Default seed 0. */
  seed?: number | Rng;
}

const rngOf = (o: RandomOptions) => (o.seed instanceof Rng ? o.seed : new Rng(o.seed ?? 0));

/** Normal(mean, std) samples. */
export function randn(shape: Shape, opts: RandomOptions & { mean?: number; std?: number } = {}): Tensor {
  const r = rngOf(opts);
  const { mean = 0, std = 1 } = opts;
  const data = Float64Array.from({ length: numel(shape) }, () => mean + std * r.normal());
  return fromArray(data, shape, { ...opts, dtype: opts.dtype ?? 'f32' });
}

/** Uniform samples in [low, high). */
export function rand(shape: Shape, opts: RandomOptions & { low?: number; high?: number } = {}): Tensor {
  const r = rngOf(opts);
  const { low = 0, high = 1 } = opts;
  const data = Float64Array.from({ length: numel(shape) }, () => low + (high - low) * r.next());
  return fromArray(data, shape, { ...opts, dtype: opts.dtype ?? 'f32' });
}
