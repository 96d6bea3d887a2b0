// RMSNorm kernels (src/ops/norm.ts holds the CPU reference).
// Row kernels run one workgroup of WG threads per row; rows fold into y past 65535 workgroups:
// row = wid.x + wid.y * nwg.x. Bindings: 0 uniforms, then inputs (read), then outputs.
// #include common.wgsl

override WG: u32 = 64u; // a power of two (the tree reduction halves it)
const LWG: u32 = 256u;  // linear kernels

var<workgroup> red: array<f32, WG>;

// Sum of `v` over the workgroup; every thread gets the total. Call in uniform control flow.
fn wg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier(); // nobody overwrites red before everyone has read the total
  return total;
}

struct RowP { rows: u32, d: u32, eps: f32 }
@group(0) @binding(0) var<uniform> rp: RowP;

// ---- forward: y = x * rstd * w, rstd = 1/sqrt(mean(x^2) + eps) saved per row --------------
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read> fw: array<f32>;
@group(0) @binding(3) var<storage, read_write> fy: array<f32>;
@group(0) @binding(4) var<storage, read_write> frstd: array<f32>;

@compute @workgroup_size(WG)
fn rmsnorm_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= rp.rows) { return; } // workgroup-uniform: barriers below stay legal
  let base = row * rp.d;
  var ss = 0.0;
  for (var j = lid; j < rp.d; j += WG) {
    let v = fx[base + j];
    ss += v * v;
  }
  let r = inverseSqrt(wg_sum(lid, ss) / f32(rp.d) + rp.eps);
  for (var j = lid; j < rp.d; j += WG) {
    fy[base + j] = fx[base + j] * r * fw[j];
  }
  if (lid == 0u) { frstd[row] = r; }
}

// ---- backward dx: dx = r * w * g - x * r^3 / D * sum(g * w * x) -----------------------------
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bw: array<f32>;
@group(0) @binding(3) var<storage, read> brstd: array<f32>;
@group(0) @binding(4) var<storage, read> bg: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdx: array<f32>;

@compute @workgroup_size(WG)
fn rmsnorm_bwd_dx(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                  @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= rp.rows) { return; }
  let base = row * rp.d;
  let r = brstd[row];
  var dot = 0.0;
  for (var j = lid; j < rp.d; j += WG) {
    dot += bg[base + j] * bw[j] * bx[base + j];
  }
  let c = wg_sum(lid, dot) * r * r * r / f32(rp.d);
  for (var j = lid; j < rp.d; j += WG) {
    bdx[base + j] = r * bw[j] * bg[base + j] - c * bx[base + j];
  }
}

// ---- one thread per row: no barriers ---------------------------------------------------------
// On lavapipe a workgroup barrier costs more than a short row loop; rows of a small model
// (D <= ROW_MAX_D in norm.ts) take this path. Same bindings as the workgroup kernels.
@compute @workgroup_size(64)
fn rmsnorm_fwd_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = grid_id(gid, nwg, 64u);
  if (row >= rp.rows) { return; }
  let base = row * rp.d;
  var ss = 0.0;
  for (var j = 0u; j < rp.d; j++) {
    let v = fx[base + j];
    ss += v * v;
  }
  let r = inverseSqrt(ss / f32(rp.d) + rp.eps);
  for (var j = 0u; j < rp.d; j++) {
    fy[base + j] = fx[base + j] * r * fw[j];
  }
  frstd[row] = r;
}

@compute @workgroup_size(64)
fn rmsnorm_bwd_dx_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = grid_id(gid, nwg, 64u);
  if (row >= rp.rows) { return; }
  let base = row * rp.d;
  let r = brstd[row];
  var dot = 0.0;
  for (var j = 0u; j < rp.d; j++) {
    dot += bg[base + j] * bw[j] * bx[base + j];
  }
  let c = dot * r * r * r / f32(rp.d);
  for (var j = 0u; j < rp.d; j++) {
    bdx[base + j] = r * bw[j] * bg[base + j] - c * bx[base + j];
  }
}

// ---- backward dw, stage 1: part[c, j] = sum over rows of chunk c of g * x * rstd -----------
// One thread per (chunk, column): each column of each chunk has one owner, so no races; stage 2
// (sumTo in src/ops/norm.ts) adds the chunks.
struct PartP { rows: u32, d: u32, chunk: u32, nparts: u32 }
@group(0) @binding(0) var<uniform> pp: PartP;
@group(0) @binding(1) var<storage, read> px: array<f32>;
@group(0) @binding(2) var<storage, read> prstd: array<f32>;
@group(0) @binding(3) var<storage, read> pg: array<f32>;
@group(0) @binding(4) var<storage, read_write> ppart: array<f32>;

@compute @workgroup_size(LWG)
fn rmsnorm_dw_part(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = grid_id(gid, nwg, LWG);
  if (t >= pp.nparts * pp.d) { return; }
  let j = t % pp.d;
  let c = t / pp.d;
  let r0 = c * pp.chunk;
  let r1 = min(r0 + pp.chunk, pp.rows);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) {
    acc += pg[r * pp.d + j] * px[r * pp.d + j] * prstd[r];
  }
  ppart[t] = acc;
}
