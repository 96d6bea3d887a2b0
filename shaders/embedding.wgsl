// Embedding lookup and its scatter-add backward (src/ops/embedding.ts holds the CPU reference).
// Ids are clamped into [0, V) here: the GPU cannot throw, and the op validates ids on the host
// whenever they are readable there. Large launches fold into y (grid_id in common.wgsl).
// #include common.wgsl

const WG: u32 = 256u;

fn clamp_id(id: i32, v: u32) -> u32 { return u32(clamp(id, 0, i32(v) - 1)); }

// ---- forward: out[n, j] = table[ids[n], j] ---------------------------------------------------
struct FwdP { n: u32, d: u32, v: u32 }
@group(0) @binding(0) var<uniform> fp: FwdP;
@group(0) @binding(1) var<storage, read> fids: array<i32>;
@group(0) @binding(2) var<storage, read> ftable: array<f32>;
@group(0) @binding(3) var<storage, read_write> fout: array<f32>;

@compute @workgroup_size(WG)
fn embedding_fwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= fp.n) { return; }
  let j = i % fp.d;
  fout[i] = ftable[clamp_id(fids[i / fp.d], fp.v) * fp.d + j];
}

// ---- backward: dtable[ids[n], j] += g[n, j] over all positions n -----------------------------
// dtable is zeroed first. One thread per (bucket b, column j) owns the entries (id, j) with
// id % nb == b and walks every position in order: no two threads touch one entry (no atomics,
// no races) and each sum runs in position order, as the CPU loop does, so results match it.
struct BwdP { npos: u32, d: u32, v: u32, nb: u32 }
@group(0) @binding(0) var<uniform> bp: BwdP;
@group(0) @binding(1) var<storage, read> bids: array<i32>;
@group(0) @binding(2) var<storage, read> bg: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdt: array<f32>;

@compute @workgroup_size(WG)
fn embedding_bwd(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let t = grid_id(gid, nwg, WG);
  if (t >= bp.nb * bp.d) { return; }
  let j = t % bp.d;
  let b = t / bp.d;
  for (var n = 0u; n < bp.npos; n++) {
    let id = clamp_id(bids[n], bp.v);
    if (id % bp.nb == b) {
      bdt[id * bp.d + j] += bg[n * bp.d + j];
    }
  }
}
