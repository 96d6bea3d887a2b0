// SwiGLU: y = silu(gate) * up (src/ops/swiglu.ts holds the CPU reference). One thread per
// element; large launches fold into y (grid_id in common.wgsl).
// #include common.wgsl

const WG: u32 = 256u;

struct SwigluP { n: u32 }
@group(0) @binding(0) var<uniform> sp: SwigluP;

@group(0) @binding(1) var<storage, read> fgate: array<f32>;
@group(0) @binding(2) var<storage, read> fup: array<f32>;
@group(0) @binding(3) var<storage, read_write> fy: array<f32>;

@compute @workgroup_size(WG)
fn swiglu_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= sp.n) { return; }
  let a = fgate[i];
  fy[i] = a * sigmoid(a) * fup[i];
}

// dgate = g * up * silu'(gate), silu'(a) = s * (1 + a * (1 - s)); dup = g * silu(gate).
@group(0) @binding(1) var<storage, read> bgate: array<f32>;
@group(0) @binding(2) var<storage, read> bup: array<f32>;
@group(0) @binding(3) var<storage, read> bg: array<f32>;
@group(0) @binding(4) var<storage, read_write> bdgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdup: array<f32>;

@compute @workgroup_size(WG)
fn swiglu_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= sp.n) { return; }
  let a = bgate[i];
  let g = bg[i];
  let s = sigmoid(a);
  bdgate[i] = g * bup[i] * s * (1.0 + a * (1.0 - s));
  bdup[i] = g * a * s;
}
