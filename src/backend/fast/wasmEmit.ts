// A minimal WebAssembly binary writer: enough of the format (types, one imported shared
// memory, functions, exports, code) and of the instruction set (i32, f32, SIMD128) to write
// the fast CPU kernels from TypeScript. No toolchain: the module is these bytes.

export type ValType = 'i32' | 'f32' | 'f64' | 'v128';
const VT: Record<ValType, number> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

function uleb(n: number, out: number[]): void {
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
}

function sleb(n: number, out: number[]): void {
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function str(s: string, out: number[]): void {
  const bytes = new TextEncoder().encode(s);
  uleb(bytes.length, out);
  out.push(...bytes);
}

/** Function body builder: a stack-machine instruction stream with named locals. Methods
 *  append instructions and return `this`, so code reads in evaluation order. */
export class Fn {
  readonly code: number[] = [];
  private readonly locals: ValType[] = [];

  constructor(readonly name: string, readonly params: ValType[], readonly results: ValType[] = []) {}

  /** Declares a local; returns its index. */
  local(t: ValType): number {
    this.locals.push(t);
    return this.params.length + this.locals.length - 1;
  }

  get(i: number): this { return this.op(0x20, i); }
  set(i: number): this { return this.op(0x21, i); }
  tee(i: number): this { return this.op(0x22, i); }
  i32(c: number): this {
    this.code.push(0x41);
    sleb(c | 0, this.code);
    return this;
  }
  f32(c: number): this {
    this.code.push(0x43, ...new Uint8Array(new Float32Array([c]).buffer));
    return this;
  }
  /** Raw opcode followed by unsigned LEB immediates. */
  op(code: number, ...imm: number[]): this {
    this.code.push(code);
    for (const i of imm) uleb(i, this.code);
    return this;
  }
  /** SIMD opcode (0xfd prefix). */
  simd(code: number, ...imm: number[]): this {
    this.code.push(0xfd);
    uleb(code, this.code);
    for (const i of imm) uleb(i, this.code);
    return this;
  }

  // i32 arithmetic and comparisons
  add(): this { return this.op(0x6a); }
  sub(): this { return this.op(0x6b); }
  mul(): this { return this.op(0x6c); }
  divU(): this { return this.op(0x6e); }
  remU(): this { return this.op(0x70); }
  and(): this { return this.op(0x71); }
  or(): this { return this.op(0x72); }
  shl(): this { return this.op(0x74); }
  eqz(): this { return this.op(0x45); }
  eq(): this { return this.op(0x46); }
  ne(): this { return this.op(0x47); }
  ltS(): this { return this.op(0x48); }
  gtS(): this { return this.op(0x4a); }
  leS(): this { return this.op(0x4c); }
  geS(): this { return this.op(0x4e); }
  select(): this { return this.op(0x1b); }

  // memory (natural alignment by default; offsets are byte immediates)
  loadF32(offset = 0): this { return this.op(0x2a, 2, offset); }
  storeF32(offset = 0): this { return this.op(0x38, 2, offset); }
  loadV(offset = 0): this { return this.simd(0x00, 4, offset); }
  storeV(offset = 0): this { return this.simd(0x0b, 4, offset); }
  loadSplat(offset = 0): this { return this.simd(0x09, 2, offset); }

  // f32 scalar
  fadd(): this { return this.op(0x92); }
  fsub(): this { return this.op(0x93); }
  fmul(): this { return this.op(0x94); }
  fdiv(): this { return this.op(0x95); }
  fsqrt(): this { return this.op(0x91); }
  fmax(): this { return this.op(0x97); }
  fromBits(): this { return this.op(0xbe); } // f32.reinterpret_i32
  fneg(): this { return this.op(0x8c); }
  feq(): this { return this.op(0x5b); }
  fne(): this { return this.op(0x5c); }
  fgt(): this { return this.op(0x5e); }
  loadI32(offset = 0): this { return this.op(0x28, 2, offset); }
  storeI32(offset = 0): this { return this.op(0x36, 2, offset); }

  // f64 (exp and log are imported from JS, which computes them in f64)
  promote(): this { return this.op(0xbb); }
  demote(): this { return this.op(0xb6); }
  dadd(): this { return this.op(0xa0); }
  dsub(): this { return this.op(0xa1); }
  dmul(): this { return this.op(0xa2); }
  f64(c: number): this {
    this.code.push(0x44, ...new Uint8Array(new Float64Array([c]).buffer));
    return this;
  }

  // f32x4
  vsplat(): this { return this.simd(0x13); }
  vadd(): this { return this.simd(0xe4); }
  vsub(): this { return this.simd(0xe5); }
  vmul(): this { return this.simd(0xe6); }
  vdiv(): this { return this.simd(0xe7); }
  vmax(): this { return this.simd(0xe9); }
  vsqrt(): this { return this.simd(0xe3); }
  vmin(): this { return this.simd(0xe8); }
  vnearest(): this { return this.simd(0x6a); }
  vlane(i: number): this { return this.simd(0x1f, i); }
  // i32x4
  isplat(): this { return this.simd(0x11); }
  iadd4(): this { return this.simd(0xae); }
  ishl4(): this { return this.simd(0xab); }
  itruncSat4(): this { return this.simd(0xf8); } // i32x4.trunc_sat_f32x4_s
  vzero(): this {
    this.code.push(0xfd);
    uleb(0x0c, this.code);
    for (let i = 0; i < 16; i++) this.code.push(0);
    return this;
  }

  // structured control
  block(body: () => void): this {
    this.op(0x02, 0x40);
    body();
    return this.op(0x0b);
  }
  loop(body: () => void): this {
    this.op(0x03, 0x40);
    body();
    return this.op(0x0b);
  }
  /** if (pops an i32) body [else otherwise]. */
  if(body: () => void, otherwise?: () => void): this {
    this.op(0x04, 0x40);
    body();
    if (otherwise) {
      this.op(0x05);
      otherwise();
    }
    return this.op(0x0b);
  }
  br(label: number): this { return this.op(0x0c, label); }
  brIf(label: number): this { return this.op(0x0d, label); }
  ret(): this { return this.op(0x0f); }
  call(fnIndex: number): this { return this.op(0x10, fnIndex); }

  /** for (i = from; i < to; i += step) body — `from`, `to` and `step` push one i32 each. The
   *  body must not branch out of the loop. Runs zero times when from ≥ to. */
  for(i: number, from: () => void, to: () => void, step: () => void, body: () => void): this {
    from();
    this.set(i);
    return this.block(() => {
      this.get(i);
      to();
      this.geS().brIf(0);
      this.loop(() => {
        body();
        this.get(i);
        step();
        this.add().tee(i);
        to();
        this.ltS().brIf(0);
      });
    });
  }

  /** Body bytes with the locals header, as the code section wants them. */
  encode(): number[] {
    const out: number[] = [];
    const groups: [number, ValType][] = [];
    for (const t of this.locals) {
      const last = groups[groups.length - 1];
      if (last && last[1] === t) last[0]++;
      else groups.push([1, t]);
    }
    uleb(groups.length, out);
    for (const [n, t] of groups) {
      uleb(n, out);
      out.push(VT[t]);
    }
    out.push(...this.code, 0x0b);
    const framed: number[] = [];
    uleb(out.length, framed);
    return framed.concat(out);
  }
}

function section(id: number, body: number[], out: number[]): void {
  out.push(id);
  uleb(body.length, out);
  for (const b of body) out.push(b);
}

/** A function the module imports from `env` (e.g. Math.exp). */
export interface ImportFn {
  name: string;
  params: ValType[];
  results: ValType[];
}

/** A module importing `env.memory` (shared, `maxPages`) and the functions `imports`, exporting
 *  every function of `fns` by name. Function indices (for `call`) count the imports first, then
 *  `fns` in the order given. */
export function moduleBytes(fns: Fn[], minPages: number, maxPages: number, importFns: ImportFn[] = []): Uint8Array {
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types: number[] = [];
  const sigs = [...importFns, ...fns];
  uleb(sigs.length, types);
  for (const f of sigs) {
    types.push(0x60);
    uleb(f.params.length, types);
    for (const p of f.params) types.push(VT[p]);
    uleb(f.results.length, types);
    for (const r of f.results) types.push(VT[r]);
  }
  section(1, types, out);
  const imports: number[] = [];
  uleb(1 + importFns.length, imports);
  str('env', imports);
  str('memory', imports);
  imports.push(0x02, 0x03); // memory, limits with maximum and shared
  uleb(minPages, imports);
  uleb(maxPages, imports);
  importFns.forEach((f, i) => {
    str('env', imports);
    str(f.name, imports);
    imports.push(0x00);
    uleb(i, imports); // its type
  });
  section(2, imports, out);
  const funcs: number[] = [];
  uleb(fns.length, funcs);
  fns.forEach((_, i) => uleb(importFns.length + i, funcs));
  section(3, funcs, out);
  const exps: number[] = [];
  uleb(fns.length, exps);
  fns.forEach((f, i) => {
    str(f.name, exps);
    exps.push(0x00);
    uleb(importFns.length + i, exps);
  });
  section(7, exps, out);
  const code: number[] = [];
  uleb(fns.length, code);
  for (const f of fns) for (const b of f.encode()) code.push(b);
  section(10, code, out);
  return new Uint8Array(out);
}
