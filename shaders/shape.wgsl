// One strided copy serves permute, slice, concat and their backwards (src/ops/shape.ts):
//   dst[dst_off + Σ c_d dst_stride_d] = src[src_off + Σ c_d src_stride_d] over a shape of rank ≤ 8.
// Elements are moved as raw 32-bit words, so f32 and i32 tensors share the kernel.
// Large launches fold into y (grid_id in common.wgsl).
// #include common.wgsl

const WG: u32 = 256u;

struct CopyP {
  n: u32, rank: u32, src_off: u32, dst_off: u32,
  shape: Dims8,
  sstr: Dims8,
  dstr: Dims8,
}
@group(0) @binding(0) var<uniform> cp: CopyP;
@group(0) @binding(1) var<storage, read> src: array<u32>;
@group(0) @binding(2) var<storage, read_write> dst: array<u32>;

@compute @workgroup_size(256)
fn strided_copy(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = grid_id(gid, nwg, WG);
  if (i >= cp.n) { return; }
  var rem = i;
  var s = cp.src_off;
  var t = cp.dst_off;
  for (var d = i32(cp.rank) - 1; d >= 0; d--) {
    let ud = u32(d);
    let size = at8(cp.shape, ud);
    let c = rem % size;
    rem = rem / size;
    s += c * at8(cp.sstr, ud);
    t += c * at8(cp.dstr, ud);
  }
  dst[t] = src[s];
}
