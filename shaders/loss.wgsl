// Cross-entropy (src/ops/loss.ts holds the CPU reference). The row kernel runs one workgroup of
// WG threads per row of logits (rows fold into y past 65535: row = wid.x + wid.y * nwg.x) and
// forms log-sum-exp in one pass with an online max/sum, merged through shared memory.
// #include common.wgsl

override WG: u32 = 256u; // a power of two (the tree reduction halves it)
const LWG: u32 = 256u;   // linear kernels
const NEG_BIG: f32 = -3.0e38; // "no element yet": exp(NEG_BIG - m) is 0 for any finite m

// A NaN built from a runtime value: WGSL rejects NaN in constant expressions.
fn nan_rt(zero: u32) -> f32 { return bitcast<f32>(0x7fc00000u | zero); }

var<workgroup> red_m: array<f32, WG>;
var<workgroup> red_s: array<f32, WG>;

// ---- per-row loss and log-sum-exp ------------------------------------------------------------
// loss = lse - logits[target]; 0 for ignored rows, NaN for a target outside [0, V).
struct RowsP { rows: u32, v: u32, ignore: i32 }
@group(0) @binding(0) var<uniform> rp: RowsP;
@group(0) @binding(1) var<storage, read> flogits: array<f32>;
@group(0) @binding(2) var<storage, read> ftargets: array<i32>;
@group(0) @binding(3) var<storage, read_write> floss: array<f32>;
@group(0) @binding(4) var<storage, read_write> flse: array<f32>;

@compute @workgroup_size(WG)
fn ce_rows_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= rp.rows) { return; } // workgroup-uniform: barriers below stay legal
  let base = row * rp.v;
  // running max m and sum s of exp(x - m) over this thread's stride of the row
  var m = NEG_BIG;
  var s = 0.0;
  for (var j = lid; j < rp.v; j += WG) {
    let x = flogits[base + j];
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m); // NaN logits fall here and poison s, as they should
    }
  }
  red_m[lid] = m;
  red_s[lid] = s;
  workgroupBarrier();
  for (var k = WG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      let m1 = red_m[lid];
      let m2 = red_m[lid + k];
      let mm = max(m1, m2);
      red_s[lid] = red_s[lid] * exp(m1 - mm) + red_s[lid + k] * exp(m2 - mm);
      red_m[lid] = mm;
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let lse = red_m[0] + log(red_s[0]);
    flse[row] = lse;
    let t = ftargets[row];
    var loss = 0.0;
    if (t != rp.ignore) {
      if (t < 0 || u32(t) >= rp.v) { loss = nan_rt(rp.v * 0u); } else { loss = lse - flogits[base + u32(t)]; }
    }
    floss[row] = loss;
  }
}

// ---- mean over non-ignored rows: loss = sum / count, 0 when every target is ignored ---------
struct MeanP { rows: u32, ignore: i32 }
@group(0) @binding(0) var<uniform> mp: MeanP;
@group(0) @binding(1) var<storage, read> mrows: array<f32>;
@group(0) @binding(2) var<storage, read> mtargets: array<i32>;
@group(0) @binding(3) var<storage, read_write> mloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> mcount: array<f32>;

var<workgroup> red_c: array<f32, LWG>;
var<workgroup> red_l: array<f32, LWG>;

// a single workgroup
@compute @workgroup_size(LWG)
fn ce_mean(@builtin(local_invocation_index) lid: u32) {
  var l = 0.0;
  var c = 0.0;
  for (var r = lid; r < mp.rows; r += LWG) {
    if (mtargets[r] != mp.ignore) {
      l += mrows[r];
      c += 1.0;
    }
  }
  red_l[lid] = l;
  red_c[lid] = c;
  workgroupBarrier();
  for (var k = LWG / 2u; k > 0u; k = k / 2u) {
    if (lid < k) {
      red_l[lid] += red_l[lid + k];
      red_c[lid] += red_c[lid + k];
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    let n = red_c[0];
    mloss[0] = select(0.0, red_l[0] / n, n > 0.0);
    mcount[0] = n;
  }
}

// ---- backward of the mean: per-row gradient g / count, 0 for ignored rows -------------------
struct MeanBwdP { rows: u32, ignore: i32 }
@group(0) @binding(0) var<uniform> mbp: MeanBwdP;
@group(0) @binding(1) var<storage, read> mbg: array<f32>;
@group(0) @binding(2) var<storage, read> mbcount: array<f32>;
@group(0) @binding(3) var<storage, read> mbtargets: array<i32>;
@group(0) @binding(4) var<storage, read_write> mbrows: array<f32>;

@compute @workgroup_size(LWG)
fn ce_mean_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let r = grid_id(gid, nwg, LWG);
  if (r >= mbp.rows) { return; }
  // a non-ignored row exists, so count ≥ 1 wherever the division happens
  mbrows[r] = select(mbg[0] / mbcount[0], 0.0, mbtargets[r] == mbp.ignore);
}

// ---- backward of the rows: dlogits = g_row * (softmax - onehot(target)), 0 if ignored ------
struct RowsBwdP { n: u32, v: u32, ignore: i32 }
@group(0) @binding(0) var<uniform> bp: RowsBwdP;
@group(0) @binding(1) var<storage, read> blogits: array<f32>;
@group(0) @binding(2) var<storage, read> btargets: array<i32>;
@group(0) @binding(3) var<storage, read> blse: array<f32>;
@group(0) @binding(4) var<storage, read> bg: array<f32>;
@group(0) @binding(5) var<storage, read_write> bdlogits: array<f32>;

@compute @workgroup_size(LWG)
fn ce_rows_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, LWG);
  if (i >= bp.n) { return; }
  let row = i / bp.v;
  let j = i % bp.v;
  let t = btargets[row];
  if (t == bp.ignore) {
    bdlogits[i] = 0.0;
    return;
  }
  let p = exp(blogits[i] - blse[row]);
  bdlogits[i] = bg[row] * (p - select(0.0, 1.0, i32(j) == t));
}
