// The backend's own smoke test (not an op): one small dispatch whose result is known, run once
// when the device is acquired, so a broken adapter is refused before any op uses it.
struct SmokeP { n: u32, value: f32 }
@group(0) @binding(0) var<uniform> sp: SmokeP;
@group(0) @binding(1) var<storage, read_write> sy: array<f32>;

@compute @workgroup_size(64)
fn smoke(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = gid.x;
  if (i >= sp.n) { return; }
  sy[i] = sp.value + f32(i);
}
