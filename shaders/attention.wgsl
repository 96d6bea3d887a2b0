// Causal grouped-query attention (src/ops/attention.ts holds the CPU reference and the layout).
// q [B, Hq, Tq, D], k/v [B, Hkv, Tk, D] or time-major q [B, Tq, Hq, D], k/v [B, Tk, Hkv, D]:
// rows are addressed by the strides in the uniforms (b·sB + h·sH + t·sT), so both layouts share
// every entry point. Rows are numbered (b, h, i) in the logical order whatever the layout, and
// lse / stats are contiguous [B, Hq, Tq]. Query head h reads kv head h / (Hq / Hkv).
// Query row i sits at absolute position off + i and sees key j iff j <= off + i and the key
// mask (if any) is non-zero at [b, j].
//
// Forward and dq: one workgroup per (b, h, query row); the 64 threads split each tile of 64
// keys (one key per thread), and split D for the output accumulator (dims lid, lid+64, ... so
// D <= 256). Online softmax keeps a running max m and sum l per row: no Tq x Tk score matrix.
// dk/dv: one workgroup per (b, kv head, key row); threads split the query rows of every head
// in the group, so the group sum needs no atomics.
// #include common.wgsl

struct AttnP {
  B: u32, Hq: u32, Hkv: u32, Tq: u32,
  Tk: u32, D: u32, scale: f32, off: i32,
  has_mask: u32, mask_float: u32,
  q_sb: u32, q_sh: u32, q_st: u32, // strides of q, o, dO, dq
  k_sb: u32, k_sh: u32, k_st: u32, // strides of k, v, dk, dv
}
@group(0) @binding(0) var<uniform> ap: AttnP;

const WG: u32 = 64u;
// Output dims per thread, ceil(D / 64) (set per launch so the dim loops have a fixed trip
// count); the accumulators hold 4, hence D <= 256.
override DCH: u32 = 4u;
// Finite "minus infinity" (inf constants are invalid WGSL), far enough from the f32 limit that
// m - mt never overflows.
const NEG: f32 = -1.0e30;

var<workgroup> sh_a: array<f32, 64>;
var<workgroup> sh_b: array<f32, 64>;
var<workgroup> sh_r: array<u32, 64>;

// Shared by attn_fwd, attn_dq and attn_dkdv.
@group(0) @binding(1) var<storage, read> fq: array<f32>;
@group(0) @binding(2) var<storage, read> fk: array<f32>;
@group(0) @binding(3) var<storage, read> fv: array<f32>;
// The key mask as raw bits: f32 masks compare as floats (so -0.0 is padding), i32 as ints.
// Without a mask the op binds q here and has_mask = 0 keeps it unread.
@group(0) @binding(4) var<storage, read> fmask: array<u32>;

fn key_on(b: u32, j: u32) -> bool {
  if (ap.has_mask == 0u) { return true; }
  let m = fmask[b * ap.Tk + j];
  if (ap.mask_float != 0u) { return bitcast<f32>(m) != 0.0; }
  return m != 0u;
}

/** Number of keys in query row i's causal range (keys 0..n-1), before masking. */
fn causal_keys(i: u32) -> u32 {
  let lim = i32(i) + ap.off + 1;
  if (lim <= 0) { return 0u; }
  return min(u32(lim), ap.Tk);
}

/** Element offset of logical query row (b, h, i) = row in q, o, dO and dq. */
fn q_base(row: u32) -> u32 {
  return q_row(row).qbase;
}

/** Where logical query row (b, h, i) = row reads: its q/o offset, the start of its kv head's
 *  keys (key j at kbase + j * k_st), its batch index and how many keys it sees causally. */
struct QRow { b: u32, qbase: u32, kbase: u32, nk: u32 }

fn q_row(row: u32) -> QRow {
  let i = row % ap.Tq;
  let h = (row / ap.Tq) % ap.Hq;
  let b = row / (ap.Tq * ap.Hq);
  let kvh = h / (ap.Hq / ap.Hkv);
  return QRow(b, b * ap.q_sb + h * ap.q_sh + i * ap.q_st, b * ap.k_sb + kvh * ap.k_sh, causal_keys(i));
}

fn dot_rows(a: u32, b: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < ap.D; d++) { s += fq[a + d] * fk[b + d]; }
  return s;
}

// ---- forward: o and the per-row logsumexp ------------------------------------------------------
@group(0) @binding(5) var<storage, read_write> fo: array<f32>;
@group(0) @binding(6) var<storage, read_write> flse: array<f32>;

@compute @workgroup_size(64)
fn attn_fwd(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
            @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x; // (b, h, i) flattened
  if (row >= ap.B * ap.Hq * ap.Tq) { return; }
  let at = q_row(row);
  let b = at.b;
  let D = ap.D;
  let qbase = at.qbase;
  let kbase = at.kbase; // key j starts at kbase + j * k_st
  let nk = at.nk;

  var acc: array<f32, 4>;
  var m = NEG;
  var l = 0.0;
  for (var t0 = 0u; t0 < nk; t0 += WG) {
    let cnt = min(WG, nk - t0);
    let j = t0 + lid;
    let valid = lid < cnt && key_on(b, j);
    var s = NEG;
    if (valid) { s = dot_rows(qbase, kbase + j * ap.k_st) * ap.scale; }
    sh_a[lid] = s;
    workgroupBarrier();
    // Every thread finds the tile max itself: one barrier instead of a tree reduction.
    var mt = m;
    for (var c = 0u; c < cnt; c++) { mt = max(mt, sh_a[c]); }
    sh_b[lid] = select(0.0, exp(s - mt), valid);
    workgroupBarrier();
    let alpha = exp(m - mt); // 0 when m was NEG and mt is real; 1 while both are NEG
    l *= alpha;
    for (var u = 0u; u < DCH; u++) { acc[u] *= alpha; }
    for (var c = 0u; c < cnt; c++) {
      let p = sh_b[c];
      l += p; // every thread keeps the same l: no reduction needed
      if (p != 0.0) {
        let vrow = kbase + (t0 + c) * ap.k_st;
        for (var u = 0u; u < DCH; u++) {
          let d = lid + u * WG;
          if (d < D) { acc[u] += p * fv[vrow + d]; }
        }
      }
    }
    m = mt;
    workgroupBarrier(); // sh_a / sh_b are rewritten by the next tile
  }
  // A row that sees no key outputs 0 (and gets zero gradient).
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var u = 0u; u < DCH; u++) {
    let d = lid + u * WG;
    if (d < D) { fo[qbase + d] = acc[u] * inv; }
  }
  if (lid == 0u) { flse[row] = select(0.0, m + log(l), l > 0.0); }
}

// ---- forward, one thread per query row ---------------------------------------------------------
// No barriers and no shared memory: on a CPU driver (lavapipe) a workgroup barrier is costly and
// decode rows see few keys, so a plain sequential online softmax per thread is the fast path
// (measured: B=64 Hq=8 decode, 41 keys, D=8: 18 ms -> see bench/RESULTS.md). D <= ROW_MAX_D.
// ROW_D = D per pipeline: with the trip counts fixed the compiler unrolls the dim loops and keeps
// q and the accumulator in registers instead of indexing private arrays at run time.
const ROW_MAX_D: u32 = 64u;
override ROW_D: u32 = 64u;

@compute @workgroup_size(64)
fn attn_fwd_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = grid_id(gid, nwg, WG);
  if (row >= ap.B * ap.Hq * ap.Tq) { return; }
  let at = q_row(row);
  let b = at.b;
  let D = ROW_D;
  let qbase = at.qbase;
  let kbase = at.kbase; // key j starts at kbase + j * k_st
  let nk = at.nk;
  var acc: array<f32, ROW_MAX_D>;
  var qr: array<f32, ROW_MAX_D>;
  for (var d = 0u; d < D; d++) {
    acc[d] = 0.0;
    qr[d] = fq[qbase + d];
  }
  var m = NEG;
  var l = 0.0;
  for (var j = 0u; j < nk; j++) {
    if (!key_on(b, j)) { continue; }
    let krow = kbase + j * ap.k_st;
    var s = 0.0;
    for (var d = 0u; d < D; d++) { s += qr[d] * fk[krow + d]; }
    s *= ap.scale; // after the sum, as dot_rows does: the same rounding on every path
    if (s > m) {
      let alpha = exp(m - s);
      l *= alpha;
      for (var d = 0u; d < D; d++) { acc[d] *= alpha; }
      m = s;
    }
    let p = exp(s - m);
    l += p;
    let vrow = kbase + j * ap.k_st;
    for (var d = 0u; d < D; d++) { acc[d] += p * fv[vrow + d]; }
  }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var d = 0u; d < D; d++) { fo[qbase + d] = acc[d] * inv; }
  flse[row] = select(0.0, m + log(l), l > 0.0);
}

// ---- backward prep: stats[row] = (lse, sum_d dO * O) -------------------------------------------
@group(0) @binding(1) var<storage, read> po: array<f32>;
@group(0) @binding(2) var<storage, read> pdo: array<f32>;
@group(0) @binding(3) var<storage, read> plse: array<f32>;
@group(0) @binding(4) var<storage, read_write> pstats: array<f32>;

@compute @workgroup_size(64)
fn attn_prep(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = grid_id(gid, nwg, WG);
  if (row >= ap.B * ap.Hq * ap.Tq) { return; }
  let base = q_base(row);
  var s = 0.0;
  for (var d = 0u; d < ap.D; d++) { s += pdo[base + d] * po[base + d]; }
  pstats[2u * row] = plse[row];
  pstats[2u * row + 1u] = s;
}

// ---- backward: dq, one workgroup per query row --------------------------------------------------
@group(0) @binding(5) var<storage, read> gdo: array<f32>;
@group(0) @binding(6) var<storage, read> gstats: array<f32>;
@group(0) @binding(7) var<storage, read_write> gdq: array<f32>;

fn dot_dov(a: u32, b: u32) -> f32 {
  var s = 0.0;
  for (var d = 0u; d < ap.D; d++) { s += gdo[a + d] * fv[b + d]; }
  return s;
}

@compute @workgroup_size(64)
fn attn_dq(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
           @builtin(local_invocation_index) lid: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= ap.B * ap.Hq * ap.Tq) { return; }
  let at = q_row(row);
  let b = at.b;
  let D = ap.D;
  let qbase = at.qbase;
  let kbase = at.kbase; // key j starts at kbase + j * k_st
  let nk = at.nk;
  let lse = gstats[2u * row];
  let di = gstats[2u * row + 1u];

  var acc: array<f32, 4>;
  for (var t0 = 0u; t0 < nk; t0 += WG) {
    let cnt = min(WG, nk - t0);
    let j = t0 + lid;
    var ds = 0.0;
    if (lid < cnt && key_on(b, j)) {
      let p = exp(dot_rows(qbase, kbase + j * ap.k_st) * ap.scale - lse);
      ds = p * (dot_dov(qbase, kbase + j * ap.k_st) - di);
    }
    sh_a[lid] = ds;
    workgroupBarrier();
    for (var c = 0u; c < cnt; c++) {
      let w = sh_a[c];
      if (w != 0.0) {
        let krow = kbase + (t0 + c) * ap.k_st;
        for (var u = 0u; u < DCH; u++) {
          let d = lid + u * WG;
          if (d < D) { acc[u] += w * fk[krow + d]; }
        }
      }
    }
    workgroupBarrier();
  }
  for (var u = 0u; u < DCH; u++) {
    let d = lid + u * WG;
    if (d < D) { gdq[qbase + d] = acc[u] * ap.scale; }
  }
}

// ---- backward: dk and dv, one workgroup per key row ---------------------------------------------
@group(0) @binding(7) var<storage, read_write> gdk: array<f32>;
@group(0) @binding(8) var<storage, read_write> gdv: array<f32>;

@compute @workgroup_size(64)
fn attn_dkdv(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
             @builtin(local_invocation_index) lid: u32) {
  let krow = wid.x + wid.y * nwg.x; // (b, kvh, j) flattened
  if (krow >= ap.B * ap.Hkv * ap.Tk) { return; }
  let j = krow % ap.Tk;
  let kvh = (krow / ap.Tk) % ap.Hkv;
  let b = krow / (ap.Tk * ap.Hkv);
  let G = ap.Hq / ap.Hkv;
  let D = ap.D;
  let kbase = b * ap.k_sb + kvh * ap.k_sh + j * ap.k_st;
  // Query rows i >= j - off see key j; take them for every head of the group.
  let first = max(i32(j) - ap.off, 0);
  var per_head = 0u;
  if (first < i32(ap.Tq)) { per_head = ap.Tq - u32(first); }
  let total = G * per_head;
  let on = key_on(b, j);

  var ak: array<f32, 4>;
  var av: array<f32, 4>;
  for (var t0 = 0u; t0 < total; t0 += WG) {
    let cnt = min(WG, total - t0);
    let n = t0 + lid;
    var p = 0.0;
    var ds = 0.0;
    var qb = 0u;
    if (lid < cnt && on) {
      let g = n / per_head;
      let i = u32(first) + n % per_head;
      let qrow = (b * ap.Hq + kvh * G + g) * ap.Tq + i;
      qb = q_base(qrow);
      p = exp(dot_rows(qb, kbase) * ap.scale - gstats[2u * qrow]);
      ds = p * (dot_dov(qb, kbase) - gstats[2u * qrow + 1u]);
    }
    sh_a[lid] = p;
    sh_b[lid] = ds;
    sh_r[lid] = qb;
    workgroupBarrier();
    for (var c = 0u; c < cnt; c++) {
      let pc = sh_a[c];
      let dc = sh_b[c];
      let qb = sh_r[c];
      if (pc != 0.0) {
        for (var u = 0u; u < DCH; u++) {
          let d = lid + u * WG;
          if (d < D) {
            av[u] += pc * gdo[qb + d];
            ak[u] += dc * fq[qb + d];
          }
        }
      }
    }
    workgroupBarrier();
  }
  for (var u = 0u; u < DCH; u++) {
    let d = lid + u * WG;
    if (d < D) {
      gdk[kbase + d] = ak[u] * ap.scale;
      gdv[kbase + d] = av[u];
    }
  }
}

// ---- backward, one thread per row (D <= ROW_MAX_D): no barriers -------------------------------
// The workgroup kernels above spend most of a training step at barriers on lavapipe; these
// walk their keys (dq) or query rows (dk/dv) sequentially with q/dO/k/v rows in registers.
@compute @workgroup_size(64)
fn attn_dq_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let row = grid_id(gid, nwg, WG);
  if (row >= ap.B * ap.Hq * ap.Tq) { return; }
  let at = q_row(row);
  let b = at.b;
  let D = ROW_D;
  let qbase = at.qbase;
  let kbase = at.kbase; // key j starts at kbase + j * k_st
  let nk = at.nk;
  let lse = gstats[2u * row];
  let di = gstats[2u * row + 1u];
  var qr: array<f32, ROW_MAX_D>;
  var dor: array<f32, ROW_MAX_D>;
  var acc: array<f32, ROW_MAX_D>;
  for (var d = 0u; d < D; d++) {
    qr[d] = fq[qbase + d];
    dor[d] = gdo[qbase + d];
    acc[d] = 0.0;
  }
  for (var j = 0u; j < nk; j++) {
    if (!key_on(b, j)) { continue; }
    let krow = kbase + j * ap.k_st;
    var s = 0.0;
    var dp = 0.0;
    for (var d = 0u; d < D; d++) {
      s += qr[d] * fk[krow + d];
      dp += dor[d] * fv[krow + d];
    }
    let ds = exp(s * ap.scale - lse) * (dp - di);
    for (var d = 0u; d < D; d++) { acc[d] += ds * fk[krow + d]; }
  }
  for (var d = 0u; d < D; d++) { gdq[qbase + d] = acc[d] * ap.scale; }
}

@compute @workgroup_size(64)
fn attn_dkdv_row(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let krow = grid_id(gid, nwg, WG); // (b, kvh, j) flattened
  if (krow >= ap.B * ap.Hkv * ap.Tk) { return; }
  let j = krow % ap.Tk;
  let kvh = (krow / ap.Tk) % ap.Hkv;
  let b = krow / (ap.Tk * ap.Hkv);
  let G = ap.Hq / ap.Hkv;
  let D = ROW_D;
  let kbase = b * ap.k_sb + kvh * ap.k_sh + j * ap.k_st;
  var kr: array<f32, ROW_MAX_D>;
  var vr: array<f32, ROW_MAX_D>;
  var ak: array<f32, ROW_MAX_D>;
  var av: array<f32, ROW_MAX_D>;
  for (var d = 0u; d < D; d++) {
    kr[d] = fk[kbase + d];
    vr[d] = fv[kbase + d];
    ak[d] = 0.0;
    av[d] = 0.0;
  }
  // Query rows i >= j - off see key j; a masked key gets no gradient.
  let first = max(i32(j) - ap.off, 0);
  if (key_on(b, j) && first < i32(ap.Tq)) {
    for (var g = 0u; g < G; g++) {
      for (var i = u32(first); i < ap.Tq; i++) {
        let qrow = (b * ap.Hq + kvh * G + g) * ap.Tq + i;
        let qb = q_base(qrow);
        var s = 0.0;
        var dp = 0.0;
        for (var d = 0u; d < D; d++) {
          s += fq[qb + d] * kr[d];
          dp += gdo[qb + d] * vr[d];
        }
        let p = exp(s * ap.scale - gstats[2u * qrow]);
        let ds = p * (dp - gstats[2u * qrow + 1u]);
        for (var d = 0u; d < D; d++) {
          av[d] += p * gdo[qb + d];
          ak[d] += ds * fq[qb + d];
        }
      }
    }
  }
  for (var d = 0u; d < D; d++) {
    gdk[kbase + d] = ak[d] * ap.scale;
    gdv[kbase + d] = av[d];
  }
}
