// Helpers every shader may need, pulled in with `// #include common.wgsl` (the loader inserts a
// file once per module, so a shader and the base file it includes can both ask for it).

// Flat thread id. WebGPU caps a grid dimension at 65535 workgroups, so large launches fold into
// y (linearGrid in src/backend/backend.ts): id = gid.x + gid.y * (nwg.x * wg), where wg is the
// entry point's workgroup size along x.
fn grid_id(gid: vec3<u32>, nwg: vec3<u32>, wg: u32) -> u32 { return gid.x + gid.y * nwg.x * wg; }

// Shapes and strides of rank <= 8 travel in uniforms as two vec4s (uniform arrays need 16-byte
// elements); at8 reads dimension d.
alias Dims8 = array<vec4<u32>, 2>;
fn at8(v: Dims8, d: u32) -> u32 { return v[d / 4u][d % 4u]; }

// exp(-x) overflows to inf for x < -88, giving 1/inf = 0: the right limit, no NaN.
fn sigmoid(x: f32) -> f32 { return 1.0 / (1.0 + exp(-x)); }
