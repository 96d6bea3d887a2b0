// Subgroup block kernels for attention: a module of their own because `enable subgroups;`
// would stop the whole file from compiling on an adapter without the feature. The op asks for
// them only where the adapter has subgroups of >= 8 lanes (src/ops/attention.ts); the shared
// uniforms, bindings and helpers come from attention.wgsl.
enable subgroups;
// #include attention.wgsl

// ---- subgroup block kernels: 8 lanes = 8 consecutive rows of one (b, head) -------------------
// For D % 4 == 0, D <= 64, on adapters with subgroups of at least 8 lanes (src/ops/attention.ts
// picks them; other head dims keep the scalar row kernels above).
// lavapipe runs an 8-lane workgroup as one 8-wide SIMD program, and its gallivm (Mesa 25.0)
// scalarises a storage load only when the address is built from constants alone
// (nir_src_is_always_uniform): an address from workgroup_id, the uniform struct or a loop
// counter is a per-lane load, each lane behind its own branch and bounds check. In the row
// kernels those k/v loads were > 90% of the time (measured: with them replaced by arithmetic the
// forward ran 15x faster), and a vec4 load only saves the per-lane branch, not the per-element
// cost. So here the 8 lanes own consecutive query rows (fwd, dq) or key rows (dk/dv) of one
// (b, head) and walk the other side's rows together, up to the last lane's causal limit, zeroing
// what a lane's own row must not see; each such row is loaded once for the whole workgroup,
// lane s fetching vec4 chunks s and s + 8, and subgroupBroadcast hands chunk c to every lane
// (a register shuffle). The broadcast lane must be a constant, hence the unrolled chunk lines,
// each behind `NV > c` (an override: folded away). Own rows stay in vec4 registers.
override NV: u32 = ROW_D / 4u;
const BLK: u32 = 8u;

@group(0) @binding(1) var<storage, read> vq: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> vk: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> vv: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read_write> vo: array<vec4<f32>>;
@group(0) @binding(5) var<storage, read> vdo: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> vdq: array<vec4<f32>>;
@group(0) @binding(7) var<storage, read_write> vdk: array<vec4<f32>>;
@group(0) @binding(8) var<storage, read_write> vdv: array<vec4<f32>>;

fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }

@compute @workgroup_size(8)
fn attn_fwd_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
               @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let nb = (ap.Tq + BLK - 1u) / BLK; // row blocks per (b, h)
  let blk = wid.x + wid.y * nwg.x;
  if (blk >= ap.B * ap.Hq * nb) { return; } // the whole workgroup leaves
  let i0 = (blk % nb) * BLK;
  let bh = blk / nb;
  let h = bh % ap.Hq;
  let b = bh / ap.Hq;
  let kvh = h / (ap.Hq / ap.Hkv);
  let i = min(i0 + lane, ap.Tq - 1u); // lanes past Tq redo the last row and store nothing
  let qbase = (b * ap.q_sb + h * ap.q_sh + i * ap.q_st) / 4u; // in vec4s
  let kbase = (b * ap.k_sb + kvh * ap.k_sh) / 4u;
  let kst = ap.k_st / 4u;
  let nk = causal_keys(i);
  let nk_all = causal_keys(min(i0 + BLK - 1u, ap.Tq - 1u)); // the last lane's limit
  var qr: array<vec4<f32>, 16>;
  var acc: array<vec4<f32>, 16>;
  for (var c = 0u; c < NV; c++) {
    qr[c] = vq[qbase + c];
    acc[c] = vec4<f32>(0.0);
  }
  var m = NEG;
  var l = 0.0;
  for (var j = 0u; j < nk_all; j++) {
    let krow = kbase + j * kst;
    let ka = vk[krow + min(sid, NV - 1u)];
    var kb = vec4<f32>(0.0);
    if (NV > 8u) { kb = vk[krow + min(sid + 8u, NV - 1u)]; }
    let va = vv[krow + min(sid, NV - 1u)];
    var vb = vec4<f32>(0.0);
    if (NV > 8u) { vb = vv[krow + min(sid + 8u, NV - 1u)]; }
    var s4 = vec4<f32>(0.0);
    s4 += qr[0] * subgroupBroadcast(ka, 0u);
    if (NV > 1u) { s4 += qr[1] * subgroupBroadcast(ka, 1u); }
    if (NV > 2u) { s4 += qr[2] * subgroupBroadcast(ka, 2u); }
    if (NV > 3u) { s4 += qr[3] * subgroupBroadcast(ka, 3u); }
    if (NV > 4u) { s4 += qr[4] * subgroupBroadcast(ka, 4u); }
    if (NV > 5u) { s4 += qr[5] * subgroupBroadcast(ka, 5u); }
    if (NV > 6u) { s4 += qr[6] * subgroupBroadcast(ka, 6u); }
    if (NV > 7u) { s4 += qr[7] * subgroupBroadcast(ka, 7u); }
    if (NV > 8u) { s4 += qr[8] * subgroupBroadcast(kb, 0u); }
    if (NV > 9u) { s4 += qr[9] * subgroupBroadcast(kb, 1u); }
    if (NV > 10u) { s4 += qr[10] * subgroupBroadcast(kb, 2u); }
    if (NV > 11u) { s4 += qr[11] * subgroupBroadcast(kb, 3u); }
    if (NV > 12u) { s4 += qr[12] * subgroupBroadcast(kb, 4u); }
    if (NV > 13u) { s4 += qr[13] * subgroupBroadcast(kb, 5u); }
    if (NV > 14u) { s4 += qr[14] * subgroupBroadcast(kb, 6u); }
    if (NV > 15u) { s4 += qr[15] * subgroupBroadcast(kb, 7u); }
    let valid = j < nk && key_on(b, j);
    let s = select(NEG, hsum(s4) * ap.scale, valid);
    // Rescale only when the max grows (alpha = 1 otherwise, like the row kernel's branch).
    let grow = s > m;
    let alpha = select(1.0, exp(m - s), grow);
    m = select(m, s, grow);
    let p = select(0.0, exp(s - m), valid);
    l = l * alpha + p;
    acc[0] = acc[0] * alpha + p * subgroupBroadcast(va, 0u);
    if (NV > 1u) { acc[1] = acc[1] * alpha + p * subgroupBroadcast(va, 1u); }
    if (NV > 2u) { acc[2] = acc[2] * alpha + p * subgroupBroadcast(va, 2u); }
    if (NV > 3u) { acc[3] = acc[3] * alpha + p * subgroupBroadcast(va, 3u); }
    if (NV > 4u) { acc[4] = acc[4] * alpha + p * subgroupBroadcast(va, 4u); }
    if (NV > 5u) { acc[5] = acc[5] * alpha + p * subgroupBroadcast(va, 5u); }
    if (NV > 6u) { acc[6] = acc[6] * alpha + p * subgroupBroadcast(va, 6u); }
    if (NV > 7u) { acc[7] = acc[7] * alpha + p * subgroupBroadcast(va, 7u); }
    if (NV > 8u) { acc[8] = acc[8] * alpha + p * subgroupBroadcast(vb, 0u); }
    if (NV > 9u) { acc[9] = acc[9] * alpha + p * subgroupBroadcast(vb, 1u); }
    if (NV > 10u) { acc[10] = acc[10] * alpha + p * subgroupBroadcast(vb, 2u); }
    if (NV > 11u) { acc[11] = acc[11] * alpha + p * subgroupBroadcast(vb, 3u); }
    if (NV > 12u) { acc[12] = acc[12] * alpha + p * subgroupBroadcast(vb, 4u); }
    if (NV > 13u) { acc[13] = acc[13] * alpha + p * subgroupBroadcast(vb, 5u); }
    if (NV > 14u) { acc[14] = acc[14] * alpha + p * subgroupBroadcast(vb, 6u); }
    if (NV > 15u) { acc[15] = acc[15] * alpha + p * subgroupBroadcast(vb, 7u); }
  }
  if (i0 + lane >= ap.Tq) { return; }
  let inv = select(0.0, 1.0 / l, l > 0.0);
  for (var c = 0u; c < NV; c++) { vo[qbase + c] = acc[c] * inv; }
  flse[(b * ap.Hq + h) * ap.Tq + i] = select(0.0, m + log(l), l > 0.0);
}

@compute @workgroup_size(8)
fn attn_dq_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
              @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let nb = (ap.Tq + BLK - 1u) / BLK;
  let blk = wid.x + wid.y * nwg.x;
  if (blk >= ap.B * ap.Hq * nb) { return; }
  let i0 = (blk % nb) * BLK;
  let bh = blk / nb;
  let h = bh % ap.Hq;
  let b = bh / ap.Hq;
  let kvh = h / (ap.Hq / ap.Hkv);
  let i = min(i0 + lane, ap.Tq - 1u);
  let row = (b * ap.Hq + h) * ap.Tq + i;
  let qbase = (b * ap.q_sb + h * ap.q_sh + i * ap.q_st) / 4u;
  let kbase = (b * ap.k_sb + kvh * ap.k_sh) / 4u;
  let kst = ap.k_st / 4u;
  let nk = causal_keys(i);
  let nk_all = causal_keys(min(i0 + BLK - 1u, ap.Tq - 1u));
  let lse = gstats[2u * row];
  let di = gstats[2u * row + 1u];
  var qr: array<vec4<f32>, 16>;
  var dor: array<vec4<f32>, 16>;
  var acc: array<vec4<f32>, 16>;
  for (var c = 0u; c < NV; c++) {
    qr[c] = vq[qbase + c];
    dor[c] = vdo[qbase + c];
    acc[c] = vec4<f32>(0.0);
  }
  for (var j = 0u; j < nk_all; j++) {
    let krow = kbase + j * kst;
    let ka = vk[krow + min(sid, NV - 1u)];
    var kb = vec4<f32>(0.0);
    if (NV > 8u) { kb = vk[krow + min(sid + 8u, NV - 1u)]; }
    let va = vv[krow + min(sid, NV - 1u)];
    var vb = vec4<f32>(0.0);
    if (NV > 8u) { vb = vv[krow + min(sid + 8u, NV - 1u)]; }
    var kr: array<vec4<f32>, 16>;
    var s4 = vec4<f32>(0.0);
    var dp4 = vec4<f32>(0.0);
    kr[0] = subgroupBroadcast(ka, 0u); s4 += qr[0] * kr[0]; dp4 += dor[0] * subgroupBroadcast(va, 0u);
    if (NV > 1u) { kr[1] = subgroupBroadcast(ka, 1u); s4 += qr[1] * kr[1]; dp4 += dor[1] * subgroupBroadcast(va, 1u); }
    if (NV > 2u) { kr[2] = subgroupBroadcast(ka, 2u); s4 += qr[2] * kr[2]; dp4 += dor[2] * subgroupBroadcast(va, 2u); }
    if (NV > 3u) { kr[3] = subgroupBroadcast(ka, 3u); s4 += qr[3] * kr[3]; dp4 += dor[3] * subgroupBroadcast(va, 3u); }
    if (NV > 4u) { kr[4] = subgroupBroadcast(ka, 4u); s4 += qr[4] * kr[4]; dp4 += dor[4] * subgroupBroadcast(va, 4u); }
    if (NV > 5u) { kr[5] = subgroupBroadcast(ka, 5u); s4 += qr[5] * kr[5]; dp4 += dor[5] * subgroupBroadcast(va, 5u); }
    if (NV > 6u) { kr[6] = subgroupBroadcast(ka, 6u); s4 += qr[6] * kr[6]; dp4 += dor[6] * subgroupBroadcast(va, 6u); }
    if (NV > 7u) { kr[7] = subgroupBroadcast(ka, 7u); s4 += qr[7] * kr[7]; dp4 += dor[7] * subgroupBroadcast(va, 7u); }
    if (NV > 8u) { kr[8] = subgroupBroadcast(kb, 0u); s4 += qr[8] * kr[8]; dp4 += dor[8] * subgroupBroadcast(vb, 0u); }
    if (NV > 9u) { kr[9] = subgroupBroadcast(kb, 1u); s4 += qr[9] * kr[9]; dp4 += dor[9] * subgroupBroadcast(vb, 1u); }
    if (NV > 10u) { kr[10] = subgroupBroadcast(kb, 2u); s4 += qr[10] * kr[10]; dp4 += dor[10] * subgroupBroadcast(vb, 2u); }
    if (NV > 11u) { kr[11] = subgroupBroadcast(kb, 3u); s4 += qr[11] * kr[11]; dp4 += dor[11] * subgroupBroadcast(vb, 3u); }
    if (NV > 12u) { kr[12] = subgroupBroadcast(kb, 4u); s4 += qr[12] * kr[12]; dp4 += dor[12] * subgroupBroadcast(vb, 4u); }
    if (NV > 13u) { kr[13] = subgroupBroadcast(kb, 5u); s4 += qr[13] * kr[13]; dp4 += dor[13] * subgroupBroadcast(vb, 5u); }
    if (NV > 14u) { kr[14] = subgroupBroadcast(kb, 6u); s4 += qr[14] * kr[14]; dp4 += dor[14] * subgroupBroadcast(vb, 6u); }
    if (NV > 15u) { kr[15] = subgroupBroadcast(kb, 7u); s4 += qr[15] * kr[15]; dp4 += dor[15] * subgroupBroadcast(vb, 7u); }
    // A lane past its limit may overflow exp(); the select drops it.
    let ds = select(0.0, exp(hsum(s4) * ap.scale - lse) * (hsum(dp4) - di), j < nk && key_on(b, j));
    for (var c = 0u; c < NV; c++) { acc[c] += ds * kr[c]; }
  }
  if (i0 + lane >= ap.Tq) { return; }
  for (var c = 0u; c < NV; c++) { vdq[qbase + c] = acc[c] * ap.scale; }
}

@compute @workgroup_size(8)
fn attn_dkdv_sg(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
                @builtin(local_invocation_index) lane: u32, @builtin(subgroup_invocation_id) sid: u32) {
  let nb = (ap.Tk + BLK - 1u) / BLK; // key blocks per (b, kv head)
  let blk = wid.x + wid.y * nwg.x;
  if (blk >= ap.B * ap.Hkv * nb) { return; }
  let j0 = (blk % nb) * BLK;
  let bh = blk / nb;
  let kvh = bh % ap.Hkv;
  let b = bh / ap.Hkv;
  let G = ap.Hq / ap.Hkv;
  let j = min(j0 + lane, ap.Tk - 1u);
  let kbase = (b * ap.k_sb + kvh * ap.k_sh + j * ap.k_st) / 4u;
  let qst = ap.q_st / 4u;
  var kr: array<vec4<f32>, 16>;
  var vr: array<vec4<f32>, 16>;
  var ak: array<vec4<f32>, 16>;
  var av: array<vec4<f32>, 16>;
  for (var c = 0u; c < NV; c++) {
    kr[c] = vk[kbase + c];
    vr[c] = vv[kbase + c];
    ak[c] = vec4<f32>(0.0);
    av[c] = vec4<f32>(0.0);
  }
  // Query i sees this lane's key iff off + i >= j: start at the first lane's first query. A
  // masked key (or a lane past Tk) gets no gradient.
  let on = key_on(b, j) && j0 + lane < ap.Tk;
  let first = u32(clamp(i32(j0) - ap.off, 0, i32(ap.Tq)));
  let jrel = i32(j) - ap.off;
  for (var g = 0u; g < G; g++) {
    let h = kvh * G + g;
    let srow = (b * ap.Hq + h) * ap.Tq;
    let hbase = (b * ap.q_sb + h * ap.q_sh) / 4u;
    for (var i = first; i < ap.Tq; i++) {
      let qrow = hbase + i * qst;
      let qa = vq[qrow + min(sid, NV - 1u)];
      var qb = vec4<f32>(0.0);
      if (NV > 8u) { qb = vq[qrow + min(sid + 8u, NV - 1u)]; }
      let da = vdo[qrow + min(sid, NV - 1u)];
      var db = vec4<f32>(0.0);
      if (NV > 8u) { db = vdo[qrow + min(sid + 8u, NV - 1u)]; }
      var qr: array<vec4<f32>, 16>;
      var dor: array<vec4<f32>, 16>;
      var s4 = vec4<f32>(0.0);
      var dp4 = vec4<f32>(0.0);
      qr[0] = subgroupBroadcast(qa, 0u); dor[0] = subgroupBroadcast(da, 0u); s4 += qr[0] * kr[0]; dp4 += dor[0] * vr[0];
      if (NV > 1u) { qr[1] = subgroupBroadcast(qa, 1u); dor[1] = subgroupBroadcast(da, 1u); s4 += qr[1] * kr[1]; dp4 += dor[1] * vr[1]; }
      if (NV > 2u) { qr[2] = subgroupBroadcast(qa, 2u); dor[2] = subgroupBroadcast(da, 2u); s4 += qr[2] * kr[2]; dp4 += dor[2] * vr[2]; }
      if (NV > 3u) { qr[3] = subgroupBroadcast(qa, 3u); dor[3] = subgroupBroadcast(da, 3u); s4 += qr[3] * kr[3]; dp4 += dor[3] * vr[3]; }
      if (NV > 4u) { qr[4] = subgroupBroadcast(qa, 4u); dor[4] = subgroupBroadcast(da, 4u); s4 += qr[4] * kr[4]; dp4 += dor[4] * vr[4]; }
      if (NV > 5u) { qr[5] = subgroupBroadcast(qa, 5u); dor[5] = subgroupBroadcast(da, 5u); s4 += qr[5] * kr[5]; dp4 += dor[5] * vr[5]; }
      if (NV > 6u) { qr[6] = subgroupBroadcast(qa, 6u); dor[6] = subgroupBroadcast(da, 6u); s4 += qr[6] * kr[6]; dp4 += dor[6] * vr[6]; }
      if (NV > 7u) { qr[7] = subgroupBroadcast(qa, 7u); dor[7] = subgroupBroadcast(da, 7u); s4 += qr[7] * kr[7]; dp4 += dor[7] * vr[7]; }
      if (NV > 8u) { qr[8] = subgroupBroadcast(qb, 0u); dor[8] = subgroupBroadcast(db, 0u); s4 += qr[8] * kr[8]; dp4 += dor[8] * vr[8]; }
      if (NV > 9u) { qr[9] = subgroupBroadcast(qb, 1u); dor[9] = subgroupBroadcast(db, 1u); s4 += qr[9] * kr[9]; dp4 += dor[9] * vr[9]; }
      if (NV > 10u) { qr[10] = subgroupBroadcast(qb, 2u); dor[10] = subgroupBroadcast(db, 2u); s4 += qr[10] * kr[10]; dp4 += dor[10] * vr[10]; }
      if (NV > 11u) { qr[11] = subgroupBroadcast(qb, 3u); dor[11] = subgroupBroadcast(db, 3u); s4 += qr[11] * kr[11]; dp4 += dor[11] * vr[11]; }
      if (NV > 12u) { qr[12] = subgroupBroadcast(qb, 4u); dor[12] = subgroupBroadcast(db, 4u); s4 += qr[12] * kr[12]; dp4 += dor[12] * vr[12]; }
      if (NV > 13u) { qr[13] = subgroupBroadcast(qb, 5u); dor[13] = subgroupBroadcast(db, 5u); s4 += qr[13] * kr[13]; dp4 += dor[13] * vr[13]; }
      if (NV > 14u) { qr[14] = subgroupBroadcast(qb, 6u); dor[14] = subgroupBroadcast(db, 6u); s4 += qr[14] * kr[14]; dp4 += dor[14] * vr[14]; }
      if (NV > 15u) { qr[15] = subgroupBroadcast(qb, 7u); dor[15] = subgroupBroadcast(db, 7u); s4 += qr[15] * kr[15]; dp4 += dor[15] * vr[15]; }
      let p = select(0.0, exp(hsum(s4) * ap.scale - gstats[2u * (srow + i)]), on && i32(i) >= jrel);
      let ds = p * (hsum(dp4) - gstats[2u * (srow + i) + 1u]);
      for (var c = 0u; c < NV; c++) {
        av[c] += p * dor[c];
        ak[c] += ds * qr[c];
      }
    }
  }
  if (j0 + lane >= ap.Tk) { return; }
  for (var c = 0u; c < NV; c++) {
    vdk[kbase + c] = ak[c] * ap.scale;
    vdv[kbase + c] = av[c];
  }
}

