// Matrix multiply C[z] = sum_r op(A[z, r]) · op(B[z, r]) (src/ops/matmul.ts holds the CPU
// reference and picks the entry point). op(A) is [M, K], op(B) is [K, N], C is [M, N] row-major.
// Batches run on grid z; `nred` > 1 sums over a batch inside the kernel (the gradient of a
// broadcast 2-D operand), so no partial products are materialised.
// Bindings: 0 uniforms, 1 A, 2 B, 3 C.
//
// How lavapipe runs this: 8 invocations (one subgroup) are one 256-bit SIMD program, one lane
// each. The fast kernels use workgroups of exactly 8 lanes, put the lanes along N and take the
// rows of A from workgroup_id: per k step each lane does TM loads of A, a couple of vec4 loads
// of B and TM x 2 vec4 FMAs, so the FMAs outnumber the loads. (Mesa 25.0's gallivm turns a load
// into a scalar load + broadcast only when its address is built from constants alone; loads
// from workgroup_id-derived addresses stay per-lane, as the attention work measured.)

struct MP {
  M: u32, N: u32, K: u32, nred: u32,
  // element offsets between batches (grid z) and between reduced slices (loop r)
  a_z: u32, b_z: u32, a_r: u32, b_r: u32,
  // element strides of op(A)(m, k) and op(B)(k, n), used by the naive kernel only
  sam: u32, sak: u32, sbk: u32, sbn: u32,
}
@group(0) @binding(0) var<uniform> u: MP;

// Pipeline constants: the layout is fixed per pipeline so inner loops carry no branches.
override TRANS_A: bool = false;
override TRANS_B: bool = false;

// ---- naive: one output per thread, strides from the uniforms ---------------------------------
@group(0) @binding(1) var<storage, read> na: array<f32>;
@group(0) @binding(2) var<storage, read> nb: array<f32>;
@group(0) @binding(3) var<storage, read_write> nc: array<f32>;

@compute @workgroup_size(8, 8, 1)
fn naive(@builtin(global_invocation_id) gid: vec3<u32>) {
  let n = gid.x;
  let m = gid.y;
  let z = gid.z;
  if (m >= u.M || n >= u.N) { return; }
  var acc = 0.0;
  for (var r = 0u; r < u.nred; r++) {
    let ao = z * u.a_z + r * u.a_r + m * u.sam;
    let bo = z * u.b_z + r * u.b_r + n * u.sbn;
    for (var k = 0u; k < u.K; k++) {
      acc = fma(na[ao + k * u.sak], nb[bo + k * u.sbk], acc);
    }
  }
  nc[z * u.M * u.N + m * u.N + n] = acc;
}

// ---- tile_v4: B not transposed, N % 4 == 0 ---------------------------------------------------
// A workgroup (8 lanes) covers 16 rows x 64 columns; lane l owns the vec4 columns l and l + 8
// of its 64-column block. Rows and columns past the edge are clamped for loads (no branches
// in the loop) and skipped at the store. The 16 rows are written once with #for (the blocks are
// reused by tile_v4_sg, shaders/matmul_sg.wgsl; see src/backend/webgpu/shaderText.ts). Measured at N = 1024: 16x2 vec4 24.6 GFLOP/s,
// 8x2 22, 12x2 23, 32x2 17 (spills), 8x4 17, 8x1 15.
const V4_TM: u32 = 16u;
@group(0) @binding(1) var<storage, read> va: array<f32>;
@group(0) @binding(2) var<storage, read> vb: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> vc: array<vec4<f32>>;

@compute @workgroup_size(8, 1, 1)
fn tile_v4(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.M;
  let N4 = u.N / 4u;
  let K = u.K;
  let z = wg.z;
  let m0 = wg.y * V4_TM;
  let n0 = wg.x * 16u + lid.x;
  let cb0 = min(n0, N4 - 1u);
  let cb1 = min(n0 + 8u, N4 - 1u);
  // op(A)(m, k) = A[m * K + k], or A[k * M + m] when A is stored transposed
  // #block V4_SETUP
  let ars = select(K, 1u, TRANS_A);
  let aks = select(1u, M, TRANS_A);
  // #for i in 0..16
  let ra$(i) = min(m0 + $(i)u, M - 1u) * ars;
  // #end
  // #for i in 0..16
  var c$(i)_0 = vec4<f32>(0.0); var c$(i)_1 = vec4<f32>(0.0);
  // #end
  // #endblock
  for (var r = 0u; r < u.nred; r++) {
    let ao = z * u.a_z + r * u.a_r;
    let bo = (z * u.b_z + r * u.b_r) / 4u;
    for (var k = 0u; k < K; k++) {
      // #block V4_STEP
      let b0 = vb[bo + k * N4 + cb0];
      let b1 = vb[bo + k * N4 + cb1];
      let ak = ao + k * aks;
      // #for i in 0..16
      { let a = vec4<f32>(va[ak + ra$(i)]); c$(i)_0 = fma(a, b0, c$(i)_0); c$(i)_1 = fma(a, b1, c$(i)_1); }
      // #end
      // #endblock
    }
  }
  // #block V4_STORE
  let co = z * M * N4;
  // #for i in 0..16
  if (m0 + $(i)u < M) { let o = co + (m0 + $(i)u) * N4 + n0; if (n0 < N4) { vc[o] = c$(i)_0; } if (n0 + 8u < N4) { vc[o + 8u] = c$(i)_1; } }
  // #end
  // #endblock
}

// ---- tile_s: any layout and size (scalar loads) -----------------------------------------------
// The fallback when N % 4 != 0 (B not transposed) or K % 4 != 0 (B transposed), and for
// transposed A with transposed B. A workgroup (8 lanes) covers 4 rows x 16 columns; lane l owns
// columns l and l + 8. Measured at N = 1024: 6.9 GFLOP/s (4x1: 4.6, 8x1: 3.6).
@group(0) @binding(1) var<storage, read> sa: array<f32>;
@group(0) @binding(2) var<storage, read> sb: array<f32>;
@group(0) @binding(3) var<storage, read_write> sc: array<f32>;

@compute @workgroup_size(8, 1, 1)
fn tile_s(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.M;
  let N = u.N;
  let K = u.K;
  let z = wg.z;
  let m0 = wg.y * 4u;
  let n0 = wg.x * 16u + lid.x;
  let ars = select(K, 1u, TRANS_A);
  let aks = select(1u, M, TRANS_A);
  let bns = select(1u, K, TRANS_B);
  let bks = select(N, 1u, TRANS_B);
  let ra0 = min(m0 + 0u, M - 1u) * ars;
  let ra1 = min(m0 + 1u, M - 1u) * ars;
  let ra2 = min(m0 + 2u, M - 1u) * ars;
  let ra3 = min(m0 + 3u, M - 1u) * ars;
  let cb0 = min(n0, N - 1u) * bns;
  let cb1 = min(n0 + 8u, N - 1u) * bns;
  var c0_0 = 0.0; var c0_1 = 0.0;
  var c1_0 = 0.0; var c1_1 = 0.0;
  var c2_0 = 0.0; var c2_1 = 0.0;
  var c3_0 = 0.0; var c3_1 = 0.0;
  for (var r = 0u; r < u.nred; r++) {
    let ao = z * u.a_z + r * u.a_r;
    let bo = z * u.b_z + r * u.b_r;
    for (var k = 0u; k < K; k++) {
      let b0 = sb[bo + k * bks + cb0];
      let b1 = sb[bo + k * bks + cb1];
      let ak = ao + k * aks;
      { let a = sa[ak + ra0]; c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
      { let a = sa[ak + ra1]; c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
      { let a = sa[ak + ra2]; c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
      { let a = sa[ak + ra3]; c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
    }
  }
  let co = z * M * N;
  if (m0 + 0u < M) { let o = co + (m0 + 0u) * N + n0; if (n0 < N) { sc[o] = c0_0; } if (n0 + 8u < N) { sc[o + 8u] = c0_1; } }
  if (m0 + 1u < M) { let o = co + (m0 + 1u) * N + n0; if (n0 < N) { sc[o] = c1_0; } if (n0 + 8u < N) { sc[o + 8u] = c1_1; } }
  if (m0 + 2u < M) { let o = co + (m0 + 2u) * N + n0; if (n0 < N) { sc[o] = c2_0; } if (n0 + 8u < N) { sc[o + 8u] = c2_1; } }
  if (m0 + 3u < M) { let o = co + (m0 + 3u) * N + n0; if (n0 < N) { sc[o] = c3_0; } if (n0 + 8u < N) { sc[o + 8u] = c3_1; } }
}

// ---- tile_nt: B transposed ([N, K] storage, the Llama weight layout), A not, K % 4 == 0 -------
// Both operands are contiguous along k, so each lane keeps vec4 partial sums along k and adds
// the four lanes of the vec4 at the end. A workgroup covers 4 rows x 16 columns; lane l owns
// columns l and l + 8. Measured at N = 1024: 8.3 GFLOP/s (8x2: 8.0, 4x4: 7.3; lanes along k
// with a workgroup-memory reduction: 6.5).
@group(0) @binding(1) var<storage, read> ta: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> tb: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> tc: array<f32>;

fn hsum(v: vec4<f32>) -> f32 { return (v.x + v.y) + (v.z + v.w); }

@compute @workgroup_size(8, 1, 1)
fn tile_nt(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.M;
  let N = u.N;
  let K4 = u.K / 4u;
  let z = wg.z;
  let m0 = wg.y * 4u;
  let n0 = wg.x * 16u + lid.x;
  let ra0 = min(m0 + 0u, M - 1u) * K4;
  let ra1 = min(m0 + 1u, M - 1u) * K4;
  let ra2 = min(m0 + 2u, M - 1u) * K4;
  let ra3 = min(m0 + 3u, M - 1u) * K4;
  let cb0 = min(n0, N - 1u) * K4;
  let cb1 = min(n0 + 8u, N - 1u) * K4;
  var c0_0 = vec4<f32>(0.0); var c0_1 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0); var c1_1 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0); var c2_1 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0); var c3_1 = vec4<f32>(0.0);
  for (var r = 0u; r < u.nred; r++) {
    let ao = (z * u.a_z + r * u.a_r) / 4u;
    let bo = (z * u.b_z + r * u.b_r) / 4u;
    for (var k = 0u; k < K4; k++) {
      let b0 = tb[bo + cb0 + k];
      let b1 = tb[bo + cb1 + k];
      { let a = ta[ao + ra0 + k]; c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
      { let a = ta[ao + ra1 + k]; c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
      { let a = ta[ao + ra2 + k]; c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
      { let a = ta[ao + ra3 + k]; c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
    }
  }
  let co = z * M * N;
  if (m0 + 0u < M) { let o = co + (m0 + 0u) * N + n0; if (n0 < N) { tc[o] = hsum(c0_0); } if (n0 + 8u < N) { tc[o + 8u] = hsum(c0_1); } }
  if (m0 + 1u < M) { let o = co + (m0 + 1u) * N + n0; if (n0 < N) { tc[o] = hsum(c1_0); } if (n0 + 8u < N) { tc[o + 8u] = hsum(c1_1); } }
  if (m0 + 2u < M) { let o = co + (m0 + 2u) * N + n0; if (n0 < N) { tc[o] = hsum(c2_0); } if (n0 + 8u < N) { tc[o + 8u] = hsum(c2_1); } }
  if (m0 + 3u < M) { let o = co + (m0 + 3u) * N + n0; if (n0 < N) { tc[o] = hsum(c3_0); } if (n0 + 8u < N) { tc[o + 8u] = hsum(c3_1); } }
}
