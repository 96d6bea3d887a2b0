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
// lanes); a tail of K % 8 steps runs the plain tile_v4 body. The setup, that body and the store
// are tile_v4's own (#use), the unrolling is written once with #for. Measured against tile_v4 in the
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
  // #use V4_SETUP
  let K8 = K - K % 8u;
  for (var r = 0u; r < u.nred; r++) {
    let ao = z * u.a_z + r * u.a_r;
    let bo = (z * u.b_z + r * u.b_r) / 4u;
    for (var k0 = 0u; k0 < K8; k0 += 8u) {
      // lane l: op(A)(m0 + i, k0 + l) for the 16 rows
      let al = ao + (k0 + lane) * aks;
      // #for i in 0..16
      let x$(i) = va[al + ra$(i)];
      // #end
      // #for j in 0..8
      {
        let b0 = vb[bo + (k0 + $(j)u) * N4 + cb0];
        let b1 = vb[bo + (k0 + $(j)u) * N4 + cb1];
        // #for i in 0..16
        { let a = vec4<f32>(subgroupBroadcast(x$(i), $(j)u)); c$(i)_0 = fma(a, b0, c$(i)_0); c$(i)_1 = fma(a, b1, c$(i)_1); }
        // #end
      }
      // #end
    }
    for (var k = K8; k < K; k++) {
      // #use V4_STEP
    }
  }
  // #use V4_STORE
}
