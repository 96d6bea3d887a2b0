// Optimizer kernels (src/ops/optim.ts holds the CPU reference): fused AdamW, and the pieces
// of a global gradient-norm clip that never leaves the device.
// #include common.wgsl

const WG: u32 = 256u;

// ---- AdamW (PyTorch semantics), in place on p, m, v ----------------------------------------------
// decay = 1 - lr * wd, step_size = lr / (1 - beta1^t), inv_bc2 = 1 / sqrt(1 - beta2^t).
struct AdamP { n: u32, decay: f32, beta1: f32, beta2: f32, step_size: f32, inv_bc2: f32, eps: f32 }
@group(0) @binding(0) var<uniform> adp: AdamP;
@group(0) @binding(1) var<storage, read> ag: array<f32>;
@group(0) @binding(2) var<storage, read_write> apar: array<f32>;
@group(0) @binding(3) var<storage, read_write> am: array<f32>;
@group(0) @binding(4) var<storage, read_write> av: array<f32>;

@compute @workgroup_size(256)
fn adamw(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= adp.n) { return; }
  let g = ag[i];
  let m = adp.beta1 * am[i] + (1.0 - adp.beta1) * g;
  let v = adp.beta2 * av[i] + (1.0 - adp.beta2) * g * g;
  am[i] = m;
  av[i] = v;
  apar[i] = apar[i] * adp.decay - adp.step_size * m / (sqrt(v) * adp.inv_bc2 + adp.eps);
}

// ---- sum of squares: each workgroup writes one partial at partials[offset + wid] ------------------
struct SumSqP { n: u32, groups: u32, offset: u32 }
@group(0) @binding(0) var<uniform> ssp: SumSqP;
@group(0) @binding(1) var<storage, read> ssx: array<f32>;
@group(0) @binding(2) var<storage, read_write> ssout: array<f32>;

var<workgroup> red: array<f32, 256>;

fn reduce_red(lid: u32) {
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
}

@compute @workgroup_size(256)
fn sumsq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = wid.x * WG + lid; i < ssp.n; i += ssp.groups * WG) {
    let x = ssx[i];
    acc += x * x;
  }
  red[lid] = acc;
  workgroupBarrier();
  reduce_red(lid);
  if (lid == 0u) { ssout[ssp.offset + wid.x] = red[0]; }
}

// ---- norm = sqrt(sum of the partials), one workgroup ---------------------------------------------
struct NormP { count: u32 }
@group(0) @binding(0) var<uniform> np: NormP;
@group(0) @binding(1) var<storage, read> nparts: array<f32>;
@group(0) @binding(2) var<storage, read_write> nout: array<f32>;

@compute @workgroup_size(256)
fn norm_finish(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var i = lid; i < np.count; i += WG) { acc += nparts[i]; }
  red[lid] = acc;
  workgroupBarrier();
  reduce_red(lid);
  if (lid == 0u) { nout[0] = sqrt(red[0]); }
}

// ---- clip: g *= min(1, max_norm / (norm + 1e-6)), in place ----------------------------------------
struct ClipP { n: u32, max_norm: f32 }
@group(0) @binding(0) var<uniform> cp: ClipP;
@group(0) @binding(1) var<storage, read> cnorm: array<f32>;
@group(0) @binding(2) var<storage, read_write> cg: array<f32>;

@compute @workgroup_size(256)
fn clip_scale(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= cp.n) { return; }
  cg[i] *= min(1.0, cp.max_norm / (cnorm[0] + 1e-6));
}
