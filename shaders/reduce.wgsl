// Reductions along one axis and fused softmax (src/ops/reduce.ts holds the CPU reference).
// A tensor is viewed as [outer, n, inner]; a "row" is one (outer, inner) pair whose n elements
// lie `inner` apart, and its result goes to output index row = o * inner + i.
// TPR threads cooperate on a row (strided loads, then a tree in workgroup memory); a workgroup
// holds WG / TPR rows. TPR = 1 is the plain per-thread loop for short rows.
// Barriers sit only in code that every thread of the workgroup reaches (no early returns).
// #include common.wgsl

const WG: u32 = 256u;
override TPR: u32 = 1u; // 1, 32 or 256: divides WG

struct RowP { rows: u32, n: u32, inner: u32, code: u32 }
@group(0) @binding(0) var<uniform> rp: RowP;

var<workgroup> red: array<f32, 256>;
var<workgroup> redi: array<u32, 256>;

struct Row { valid: bool, row: u32, lane: u32, base: u32 }

fn row_of(lid: u32, wid: vec3<u32>, nwg: vec3<u32>) -> Row {
  let group = wid.x + wid.y * nwg.x;
  let row = group * (WG / TPR) + lid / TPR;
  let valid = row < rp.rows;
  let r = select(0u, row, valid);
  let o = r / rp.inner;
  let i = r % rp.inner;
  return Row(valid, row, lid % TPR, o * rp.n * rp.inner + i);
}

// A literal infinity is a shader-creation error; a bitcast of a runtime value is not.
fn neg_inf() -> f32 {
  var bits = 0xff800000u;
  return bitcast<f32>(bits);
}

// The shift for exp(x - c): the row max, or 0 when the max is infinite (avoids inf - inf).
fn shift(m: f32) -> f32 {
  return select(m, 0.0, abs(m) > 3.4e38);
}

// Sum / max of v over the TPR lanes of each row; every lane gets the result.
fn seg_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s = s / 2u) {
    if (lid % TPR < s) { red[lid] = red[lid] + red[lid + s]; }
    workgroupBarrier();
  }
  let r = red[lid - lid % TPR];
  workgroupBarrier(); // red is reused by the next reduction
  return r;
}

fn seg_max(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s = s / 2u) {
    if (lid % TPR < s) { red[lid] = max(red[lid], red[lid + s]); }
    workgroupBarrier();
  }
  let r = red[lid - lid % TPR];
  workgroupBarrier();
  return r;
}

@group(0) @binding(1) var<storage, read> rx: array<f32>;
@group(0) @binding(2) var<storage, read_write> ry: array<f32>;

fn row_max(r: Row) -> f32 {
  var m = neg_inf();
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) { m = max(m, rx[r.base + j * rp.inner]); }
  }
  return m;
}

// ---- sum (0), mean (1), logsumexp (2) ---------------------------------------------------------
@compute @workgroup_size(256)
fn reduce_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(lid, wid, nwg);
  let lse = rp.code == 2u;
  var c = 0.0;
  if (lse) { c = shift(seg_max(lid, row_max(r))); }
  var acc = 0.0;
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) {
      let v = rx[r.base + j * rp.inner];
      if (lse) { acc += exp(v - c); } else { acc += v; } // uniform branch: no exp for sums
    }
  }
  let s = seg_sum(lid, acc);
  if (r.valid && r.lane == 0u) {
    var y = s;
    if (rp.code == 1u) { y = s / f32(rp.n); }
    if (lse) { y = c + log(s); }
    ry[r.row] = y;
  }
}

// ---- max with the index of its first occurrence ------------------------------------------------
@group(0) @binding(3) var<storage, read_write> ridx: array<i32>;

@compute @workgroup_size(256)
fn max_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(lid, wid, nwg);
  var m = neg_inf();
  var k = r.lane; // a lane whose elements are all -inf reports its first index: ties pick lane 0
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) {
      let v = rx[r.base + j * rp.inner];
      if (v > m) { m = v; k = j; }
    }
  }
  red[lid] = m;
  redi[lid] = k;
  workgroupBarrier();
  for (var s = TPR / 2u; s > 0u; s = s / 2u) {
    if (lid % TPR < s) {
      let ov = red[lid + s];
      let ok = redi[lid + s];
      if (ov > red[lid] || (ov == red[lid] && ok < redi[lid])) {
        red[lid] = ov;
        redi[lid] = ok;
      }
    }
    workgroupBarrier();
  }
  if (r.valid && r.lane == 0u) {
    ry[r.row] = red[lid];
    ridx[r.row] = i32(redi[lid]);
  }
}

// ---- softmax (0) and log-softmax (1), forward ---------------------------------------------------
@compute @workgroup_size(256)
fn softmax_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(lid, wid, nwg);
  let c = shift(seg_max(lid, row_max(r)));
  var acc = 0.0;
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) { acc += exp(rx[r.base + j * rp.inner] - c); }
  }
  let s = seg_sum(lid, acc);
  if (r.valid) {
    let logs = log(s);
    let inv = 1.0 / s;
    for (var j = r.lane; j < rp.n; j += TPR) {
      let at = r.base + j * rp.inner;
      let z = rx[at] - c;
      if (rp.code == 1u) { ry[at] = z - logs; } else { ry[at] = exp(z) * inv; }
    }
  }
}

// ---- softmax backward: dx = y (g - Σ g y); log-softmax backward: dx = g - exp(y) Σ g ------------
// Binding 1 (rx) holds y here.
@group(0) @binding(2) var<storage, read> rg: array<f32>;
@group(0) @binding(3) var<storage, read_write> rdx: array<f32>;

@compute @workgroup_size(256)
fn softmax_bwd_rows(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = row_of(lid, wid, nwg);
  let logsm = rp.code == 1u;
  var acc = 0.0;
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) {
      let at = r.base + j * rp.inner;
      if (logsm) { acc += rg[at]; } else { acc += rg[at] * rx[at]; }
    }
  }
  let s = seg_sum(lid, acc);
  if (r.valid) {
    for (var j = r.lane; j < rp.n; j += TPR) {
      let at = r.base + j * rp.inner;
      let y = rx[at];
      if (logsm) { rdx[at] = rg[at] - exp(y) * s; } else { rdx[at] = y * (rg[at] - s); }
    }
  }
}

// ---- elementwise backward of the reductions (one thread per input element) ---------------------
// Element e of x lies in row (e / (n * inner)) * inner + e % inner at position (e / inner) % n.
struct ExpandP { total: u32, n: u32, inner: u32, scale: f32 }
@group(0) @binding(0) var<uniform> ep: ExpandP;

fn row_of_elem(e: u32) -> u32 {
  return (e / (ep.n * ep.inner)) * ep.inner + e % ep.inner;
}

// sum / mean: dx = g[row] * scale
@group(0) @binding(1) var<storage, read> eg: array<f32>;
@group(0) @binding(2) var<storage, read_write> edx: array<f32>;

@compute @workgroup_size(256)
fn expand_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = grid_id(gid, nwg, WG);
  if (e >= ep.total) { return; }
  edx[e] = eg[row_of_elem(e)] * ep.scale;
}

// max: the gradient goes to the recorded argmax only
@group(0) @binding(1) var<storage, read> midx: array<i32>;
@group(0) @binding(2) var<storage, read> mg: array<f32>;
@group(0) @binding(3) var<storage, read_write> mdx: array<f32>;

@compute @workgroup_size(256)
fn max_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = grid_id(gid, nwg, WG);
  if (e >= ep.total) { return; }
  let row = row_of_elem(e);
  let j = (e / ep.inner) % ep.n;
  mdx[e] = select(0.0, mg[row], i32(j) == midx[row]);
}

// logsumexp: dx = g[row] * exp(x - y[row])
@group(0) @binding(1) var<storage, read> lx: array<f32>;
@group(0) @binding(2) var<storage, read> ly: array<f32>;
@group(0) @binding(3) var<storage, read> lg: array<f32>;
@group(0) @binding(4) var<storage, read_write> ldx: array<f32>;

@compute @workgroup_size(256)
fn lse_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let e = grid_id(gid, nwg, WG);
  if (e >= ep.total) { return; }
  let row = row_of_elem(e);
  ldx[e] = lg[row] * exp(lx[e] - ly[row]);
}
