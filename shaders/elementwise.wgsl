// Elementwise kernels (src/ops/elementwise.ts holds the CPU reference and the op codes).
// Bindings: 0 uniforms, then inputs (read), then outputs (read_write).
// Large launches fold into y (grid_id in common.wgsl).
// #include common.wgsl

const WG: u32 = 256u;

// ---- unary: y = f(x), dx = g * f'(x) -------------------------------------------------------
struct UnaryP { n: u32, code: u32, alpha: f32 }
@group(0) @binding(0) var<uniform> up: UnaryP;

fn unary_f(x: f32, code: u32, a: f32) -> f32 {
  switch code {
    case 0u: { return -x; }
    case 1u: { return exp(x); }
    case 2u: { return log(x); }
    case 3u: { return sqrt(x); }
    case 4u: { return inverseSqrt(x); }
    case 5u: { return x * sigmoid(x); }
    case 6u: { return sigmoid(x); }
    case 7u: { return pow_signed(x, a); }
    case 8u: { return x * a; }
    case 9u: { return x + a; }
    case 10u: { return max(x, 0.0); }
    case 11u: { return tanh(x); }
    default: { return 0.0; }
  }
}

// WGSL pow is undefined for x < 0; keep integer powers of negatives right, as Math.pow does.
fn pow_signed(x: f32, a: f32) -> f32 {
  if (x >= 0.0) { return pow(x, a); }
  if (floor(a) != a) { return sqrt(x); } // NaN, as Math.pow gives
  let m = pow(-x, a);
  if (fract(a * 0.5) != 0.0) { return -m; }
  return m;
}

fn unary_df(x: f32, code: u32, a: f32) -> f32 {
  switch code {
    case 0u: { return -1.0; }
    case 1u: { return exp(x); }
    case 2u: { return 1.0 / x; }
    case 3u: { return 0.5 / sqrt(x); }
    case 4u: { return -0.5 * inverseSqrt(x) / x; }
    case 5u: { let s = sigmoid(x); return s * (1.0 + x * (1.0 - s)); }
    case 6u: { let s = sigmoid(x); return s * (1.0 - s); }
    case 7u: { return a * pow_signed(x, a - 1.0); }
    case 8u: { return a; }
    case 9u: { return 1.0; }
    case 10u: { return select(0.0, 1.0, x > 0.0); }
    case 11u: { let t = tanh(x); return 1.0 - t * t; }
    default: { return 0.0; }
  }
}

@group(0) @binding(1) var<storage, read> ux: array<f32>;
@group(0) @binding(2) var<storage, read_write> uy: array<f32>;

@compute @workgroup_size(256)
fn unary_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= up.n) { return; }
  uy[i] = unary_f(ux[i], up.code, up.alpha);
}

@group(0) @binding(2) var<storage, read> ug: array<f32>;
@group(0) @binding(3) var<storage, read_write> udx: array<f32>;

@compute @workgroup_size(256)
fn unary_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= up.n) { return; }
  udx[i] = ug[i] * unary_df(ux[i], up.code, up.alpha);
}

// ---- binary with broadcasting ----------------------------------------------------------------
// rank 0 means both operands have the output's shape (contiguous fast path).
struct BinaryP {
  n: u32, code: u32, rank: u32, _pad: u32,
  shape: Dims8,
  sa: Dims8,
  sb: Dims8,
}
@group(0) @binding(0) var<uniform> bp: BinaryP;
@group(0) @binding(1) var<storage, read> ba: array<f32>;
@group(0) @binding(2) var<storage, read> bb: array<f32>;
@group(0) @binding(3) var<storage, read_write> by: array<f32>;

@compute @workgroup_size(256)
fn binary(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= bp.n) { return; }
  var ia = i;
  var ib = i;
  if (bp.rank > 0u) {
    ia = 0u; ib = 0u;
    var rem = i;
    for (var d = 7; d >= 0; d--) {
      let ud = u32(d);
      let size = at8(bp.shape, ud);
      let c = rem % size;
      rem = rem / size;
      ia += c * at8(bp.sa, ud);
      ib += c * at8(bp.sb, ud);
    }
  }
  let a = ba[ia];
  let b = bb[ib];
  var r: f32;
  switch bp.code {
    case 0u: { r = a + b; }
    case 1u: { r = a - b; }
    case 2u: { r = a * b; }
    default: { r = a / b; }
  }
  by[i] = r;
}

// ---- sum_to: reduce over broadcast dims ------------------------------------------------------
struct SumToP {
  n_out: u32, count: u32, _p0: u32, _p1: u32,
  kshape: Dims8,
  rshape: Dims8,
  strides: Dims8,
}
@group(0) @binding(0) var<uniform> sp: SumToP;
@group(0) @binding(1) var<storage, read> sx: array<f32>;
@group(0) @binding(2) var<storage, read_write> sy: array<f32>;

fn offset_of(i: u32, shape: Dims8) -> u32 {
  var off = 0u;
  var rem = i;
  for (var d = 7; d >= 0; d--) {
    let ud = u32(d);
    let size = at8(shape, ud);
    let c = rem % size;
    rem = rem / size;
    off += c * at8(sp.strides, ud);
  }
  return off;
}

@compute @workgroup_size(256)
fn sum_to(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let o = grid_id(gid, nwg, WG);
  if (o >= sp.n_out) { return; }
  let base = offset_of(o, sp.kshape);
  var acc = 0.0;
  for (var j = 0u; j < sp.count; j++) {
    acc += sx[base + offset_of(j, sp.rshape)];
  }
  sy[o] = acc;
}

// ---- fill --------------------------------------------------------------------------------------
struct FillP { n: u32, value: f32 }
@group(0) @binding(0) var<uniform> fp: FillP;
@group(0) @binding(1) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(256)
fn fill(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= fp.n) { return; }
  fy[i] = fp.value;
}

struct FillIP { n: u32, value: i32 }
@group(0) @binding(0) var<uniform> fip: FillIP;
@group(0) @binding(1) var<storage, read_write> fiy: array<i32>;

@compute @workgroup_size(256)
fn fill_i32(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= fip.n) { return; }
  fiy[i] = fip.value;
}
