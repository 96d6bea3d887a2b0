// Subgroup variant of tile_v4 (shaders/matmul.wgsl has the uniforms, bindings and the plain
// kernels): a module of its own because `enable subgroups;` would stop the base file from
// compiling on an adapter without the feature. src/ops/matmul.ts picks it only where the adapter
// has subgroups of >= 8 lanes (a workgroup of 8 lanes is then one subgroup).
//
// Why: in tile_v4 every lane loads the 16 values of A it needs at each k itself: the rows come
// from workgroup_id, and lavapipe's gallivm (Mesa 25.0) keeps such loads per lane (a gather of
// 8 equal addresses), 16 gathers per k against 32 vec4 FMAs. Here lane l loads
// op(A)(m0 + i, k0 + l) for 8 consecutive k at once (16 loads per 8 k) and each k step takes
// its value with subgroupBroadcast(x, constant lane), a register shuffle rather than a load
// (the attention block kernels gained the same way). The k loop is unrolled by 8 (constant
// lanes); a tail of K % 8 steps runs the plain tile_v4 body. Measured against tile_v4 in the
// same rounds: faster on 11 of 12 benchmark products, median +27% GFLOP per CPU-second
// (bench/RESULTS.md, 2026-11-30; 16 rows x 2 vec4 per lane beat 8x2, 8x4, 16x1, 24x1, 4x1).
enable subgroups;
// #include matmul.wgsl

@compute @workgroup_size(8, 1, 1)
fn tile_v4_sg(@builtin(workgroup_id) wg: vec3<u32>, @builtin(local_invocation_id) lid: vec3<u32>) {
  let M = u.M;
  let N4 = u.N / 4u;
  let K = u.K;
  let z = wg.z;
  let m0 = wg.y * V4_TM;
  let lane = lid.x;
  let n0 = wg.x * 16u + lane;
  let cb0 = min(n0, N4 - 1u);
  let cb1 = min(n0 + 8u, N4 - 1u);
  let ars = select(K, 1u, TRANS_A);
  let aks = select(1u, M, TRANS_A);
  let ra0 = min(m0 + 0u, M - 1u) * ars;
  let ra1 = min(m0 + 1u, M - 1u) * ars;
  let ra2 = min(m0 + 2u, M - 1u) * ars;
  let ra3 = min(m0 + 3u, M - 1u) * ars;
  let ra4 = min(m0 + 4u, M - 1u) * ars;
  let ra5 = min(m0 + 5u, M - 1u) * ars;
  let ra6 = min(m0 + 6u, M - 1u) * ars;
  let ra7 = min(m0 + 7u, M - 1u) * ars;
  let ra8 = min(m0 + 8u, M - 1u) * ars;
  let ra9 = min(m0 + 9u, M - 1u) * ars;
  let ra10 = min(m0 + 10u, M - 1u) * ars;
  let ra11 = min(m0 + 11u, M - 1u) * ars;
  let ra12 = min(m0 + 12u, M - 1u) * ars;
  let ra13 = min(m0 + 13u, M - 1u) * ars;
  let ra14 = min(m0 + 14u, M - 1u) * ars;
  let ra15 = min(m0 + 15u, M - 1u) * ars;
  var c0_0 = vec4<f32>(0.0); var c0_1 = vec4<f32>(0.0);
  var c1_0 = vec4<f32>(0.0); var c1_1 = vec4<f32>(0.0);
  var c2_0 = vec4<f32>(0.0); var c2_1 = vec4<f32>(0.0);
  var c3_0 = vec4<f32>(0.0); var c3_1 = vec4<f32>(0.0);
  var c4_0 = vec4<f32>(0.0); var c4_1 = vec4<f32>(0.0);
  var c5_0 = vec4<f32>(0.0); var c5_1 = vec4<f32>(0.0);
  var c6_0 = vec4<f32>(0.0); var c6_1 = vec4<f32>(0.0);
  var c7_0 = vec4<f32>(0.0); var c7_1 = vec4<f32>(0.0);
  var c8_0 = vec4<f32>(0.0); var c8_1 = vec4<f32>(0.0);
  var c9_0 = vec4<f32>(0.0); var c9_1 = vec4<f32>(0.0);
  var c10_0 = vec4<f32>(0.0); var c10_1 = vec4<f32>(0.0);
  var c11_0 = vec4<f32>(0.0); var c11_1 = vec4<f32>(0.0);
  var c12_0 = vec4<f32>(0.0); var c12_1 = vec4<f32>(0.0);
  var c13_0 = vec4<f32>(0.0); var c13_1 = vec4<f32>(0.0);
  var c14_0 = vec4<f32>(0.0); var c14_1 = vec4<f32>(0.0);
  var c15_0 = vec4<f32>(0.0); var c15_1 = vec4<f32>(0.0);
  let K8 = K - K % 8u;
  for (var r = 0u; r < u.nred; r++) {
    let ao = z * u.a_z + r * u.a_r;
    let bo = (z * u.b_z + r * u.b_r) / 4u;
    for (var k0 = 0u; k0 < K8; k0 += 8u) {
      // lane l: op(A)(m0 + i, k0 + l) for the 16 rows
      let al = ao + (k0 + lane) * aks;
      let x0 = va[al + ra0];
      let x1 = va[al + ra1];
      let x2 = va[al + ra2];
      let x3 = va[al + ra3];
      let x4 = va[al + ra4];
      let x5 = va[al + ra5];
      let x6 = va[al + ra6];
      let x7 = va[al + ra7];
      let x8 = va[al + ra8];
      let x9 = va[al + ra9];
      let x10 = va[al + ra10];
      let x11 = va[al + ra11];
      let x12 = va[al + ra12];
      let x13 = va[al + ra13];
      let x14 = va[al + ra14];
      let x15 = va[al + ra15];
      {
        let b0 = vb[bo + (k0 + 0u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 0u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 0u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 0u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 0u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 0u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 0u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 0u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 0u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 0u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 0u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 0u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 0u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 0u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 0u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 0u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 0u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 0u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 1u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 1u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 1u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 1u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 1u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 1u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 1u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 1u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 1u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 1u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 1u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 1u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 1u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 1u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 1u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 1u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 1u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 1u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 2u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 2u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 2u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 2u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 2u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 2u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 2u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 2u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 2u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 2u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 2u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 2u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 2u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 2u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 2u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 2u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 2u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 2u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 3u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 3u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 3u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 3u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 3u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 3u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 3u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 3u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 3u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 3u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 3u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 3u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 3u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 3u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 3u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 3u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 3u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 3u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 4u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 4u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 4u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 4u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 4u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 4u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 4u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 4u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 4u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 4u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 4u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 4u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 4u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 4u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 4u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 4u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 4u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 4u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 5u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 5u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 5u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 5u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 5u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 5u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 5u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 5u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 5u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 5u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 5u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 5u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 5u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 5u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 5u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 5u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 5u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 5u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 6u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 6u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 6u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 6u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 6u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 6u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 6u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 6u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 6u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 6u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 6u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 6u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 6u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 6u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 6u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 6u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 6u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 6u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
      {
        let b0 = vb[bo + (k0 + 7u) * N4 + cb0];
        let b1 = vb[bo + (k0 + 7u) * N4 + cb1];
        { let a = vec4<f32>(subgroupBroadcast(x0, 7u)); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
        { let a = vec4<f32>(subgroupBroadcast(x1, 7u)); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
        { let a = vec4<f32>(subgroupBroadcast(x2, 7u)); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
        { let a = vec4<f32>(subgroupBroadcast(x3, 7u)); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
        { let a = vec4<f32>(subgroupBroadcast(x4, 7u)); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
        { let a = vec4<f32>(subgroupBroadcast(x5, 7u)); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
        { let a = vec4<f32>(subgroupBroadcast(x6, 7u)); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
        { let a = vec4<f32>(subgroupBroadcast(x7, 7u)); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
        { let a = vec4<f32>(subgroupBroadcast(x8, 7u)); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
        { let a = vec4<f32>(subgroupBroadcast(x9, 7u)); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
        { let a = vec4<f32>(subgroupBroadcast(x10, 7u)); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
        { let a = vec4<f32>(subgroupBroadcast(x11, 7u)); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
        { let a = vec4<f32>(subgroupBroadcast(x12, 7u)); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
        { let a = vec4<f32>(subgroupBroadcast(x13, 7u)); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
        { let a = vec4<f32>(subgroupBroadcast(x14, 7u)); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
        { let a = vec4<f32>(subgroupBroadcast(x15, 7u)); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
      }
    }
    for (var k = K8; k < K; k++) {
      let b0 = vb[bo + k * N4 + cb0];
      let b1 = vb[bo + k * N4 + cb1];
      let ak = ao + k * aks;
      { let a = vec4<f32>(va[ak + ra0]); c0_0 = fma(a, b0, c0_0); c0_1 = fma(a, b1, c0_1); }
      { let a = vec4<f32>(va[ak + ra1]); c1_0 = fma(a, b0, c1_0); c1_1 = fma(a, b1, c1_1); }
      { let a = vec4<f32>(va[ak + ra2]); c2_0 = fma(a, b0, c2_0); c2_1 = fma(a, b1, c2_1); }
      { let a = vec4<f32>(va[ak + ra3]); c3_0 = fma(a, b0, c3_0); c3_1 = fma(a, b1, c3_1); }
      { let a = vec4<f32>(va[ak + ra4]); c4_0 = fma(a, b0, c4_0); c4_1 = fma(a, b1, c4_1); }
      { let a = vec4<f32>(va[ak + ra5]); c5_0 = fma(a, b0, c5_0); c5_1 = fma(a, b1, c5_1); }
      { let a = vec4<f32>(va[ak + ra6]); c6_0 = fma(a, b0, c6_0); c6_1 = fma(a, b1, c6_1); }
      { let a = vec4<f32>(va[ak + ra7]); c7_0 = fma(a, b0, c7_0); c7_1 = fma(a, b1, c7_1); }
      { let a = vec4<f32>(va[ak + ra8]); c8_0 = fma(a, b0, c8_0); c8_1 = fma(a, b1, c8_1); }
      { let a = vec4<f32>(va[ak + ra9]); c9_0 = fma(a, b0, c9_0); c9_1 = fma(a, b1, c9_1); }
      { let a = vec4<f32>(va[ak + ra10]); c10_0 = fma(a, b0, c10_0); c10_1 = fma(a, b1, c10_1); }
      { let a = vec4<f32>(va[ak + ra11]); c11_0 = fma(a, b0, c11_0); c11_1 = fma(a, b1, c11_1); }
      { let a = vec4<f32>(va[ak + ra12]); c12_0 = fma(a, b0, c12_0); c12_1 = fma(a, b1, c12_1); }
      { let a = vec4<f32>(va[ak + ra13]); c13_0 = fma(a, b0, c13_0); c13_1 = fma(a, b1, c13_1); }
      { let a = vec4<f32>(va[ak + ra14]); c14_0 = fma(a, b0, c14_0); c14_1 = fma(a, b1, c14_1); }
      { let a = vec4<f32>(va[ak + ra15]); c15_0 = fma(a, b0, c15_0); c15_1 = fma(a, b1, c15_1); }
    }
  }
  let co = z * M * N4;
  if (m0 + 0u < M) { let o = co + (m0 + 0u) * N4 + n0; if (n0 < N4) { vc[o] = c0_0; } if (n0 + 8u < N4) { vc[o + 8u] = c0_1; } }
  if (m0 + 1u < M) { let o = co + (m0 + 1u) * N4 + n0; if (n0 < N4) { vc[o] = c1_0; } if (n0 + 8u < N4) { vc[o + 8u] = c1_1; } }
  if (m0 + 2u < M) { let o = co + (m0 + 2u) * N4 + n0; if (n0 < N4) { vc[o] = c2_0; } if (n0 + 8u < N4) { vc[o + 8u] = c2_1; } }
  if (m0 + 3u < M) { let o = co + (m0 + 3u) * N4 + n0; if (n0 < N4) { vc[o] = c3_0; } if (n0 + 8u < N4) { vc[o + 8u] = c3_1; } }
  if (m0 + 4u < M) { let o = co + (m0 + 4u) * N4 + n0; if (n0 < N4) { vc[o] = c4_0; } if (n0 + 8u < N4) { vc[o + 8u] = c4_1; } }
  if (m0 + 5u < M) { let o = co + (m0 + 5u) * N4 + n0; if (n0 < N4) { vc[o] = c5_0; } if (n0 + 8u < N4) { vc[o + 8u] = c5_1; } }
  if (m0 + 6u < M) { let o = co + (m0 + 6u) * N4 + n0; if (n0 < N4) { vc[o] = c6_0; } if (n0 + 8u < N4) { vc[o + 8u] = c6_1; } }
  if (m0 + 7u < M) { let o = co + (m0 + 7u) * N4 + n0; if (n0 < N4) { vc[o] = c7_0; } if (n0 + 8u < N4) { vc[o + 8u] = c7_1; } }
  if (m0 + 8u < M) { let o = co + (m0 + 8u) * N4 + n0; if (n0 < N4) { vc[o] = c8_0; } if (n0 + 8u < N4) { vc[o + 8u] = c8_1; } }
  if (m0 + 9u < M) { let o = co + (m0 + 9u) * N4 + n0; if (n0 < N4) { vc[o] = c9_0; } if (n0 + 8u < N4) { vc[o + 8u] = c9_1; } }
  if (m0 + 10u < M) { let o = co + (m0 + 10u) * N4 + n0; if (n0 < N4) { vc[o] = c10_0; } if (n0 + 8u < N4) { vc[o + 8u] = c10_1; } }
  if (m0 + 11u < M) { let o = co + (m0 + 11u) * N4 + n0; if (n0 < N4) { vc[o] = c11_0; } if (n0 + 8u < N4) { vc[o + 8u] = c11_1; } }
  if (m0 + 12u < M) { let o = co + (m0 + 12u) * N4 + n0; if (n0 < N4) { vc[o] = c12_0; } if (n0 + 8u < N4) { vc[o + 8u] = c12_1; } }
  if (m0 + 13u < M) { let o = co + (m0 + 13u) * N4 + n0; if (n0 < N4) { vc[o] = c13_0; } if (n0 + 8u < N4) { vc[o + 8u] = c13_1; } }
  if (m0 + 14u < M) { let o = co + (m0 + 14u) * N4 + n0; if (n0 < N4) { vc[o] = c14_0; } if (n0 + 8u < N4) { vc[o + 8u] = c14_1; } }
  if (m0 + 15u < M) { let o = co + (m0 + 15u) * N4 + n0; if (n0 < N4) { vc[o] = c15_0; } if (n0 + 8u < N4) { vc[o + 8u] = c15_1; } }
}
