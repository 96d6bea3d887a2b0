// Rotary position embedding (src/ops/rope.ts holds the CPU reference). One thread per rotated
// pair; x is [B, H, T, hd] (inner = 1) or [B, T, H, hd] (inner = H), so the position of an
// hd-row is offset + (row / inner) % T. The per-pair
// frequencies come in the uniforms, computed on the host exactly as llama2.c does in f32
// (GPU pow is a few ulp off, which at position 4096 would move the angle by ~1e-3 rad), with
// any RoPE scaling (linear, llama3) already applied there, so this kernel never sees it;
// the angle itself, pos * freq, is formed here in f32 like llama2.c.

const WG: u32 = 256u;

struct RopeP {
  n_pairs: u32, t: u32, hd: u32, offset: u32,
  half_layout: u32, // 0 = interleaved (2i, 2i+1), 1 = half (i, i + hd/2)
  sign: f32,    // +1 forward, -1 backward (rotation by -angle)
  inner: u32,   // consecutive rows sharing a position
  _p1: u32,
  freq: array<vec4<f32>, 64>, // hd/2 ≤ 256 frequencies
}
@group(0) @binding(0) var<uniform> rp: RopeP;
@group(0) @binding(1) var<storage, read> rx: array<f32>;
@group(0) @binding(2) var<storage, read_write> ry: array<f32>;

// WGSL only bounds sin/cos error on [-pi, pi]: reduce by 2*pi first (Cody-Waite, 2*pi split
// into C1 + C2 + C3 with C1, C2 short enough that k*C1 and k*C2 are exact for k < 4096).
fn reduce_angle(a: f32) -> f32 {
  let k = round(a * 0.15915494309189535);
  return ((a - k * 6.28125) - k * 0.0019354820251464844) - k * -1.7484555314695172e-7;
}

@compute @workgroup_size(WG)
fn rope(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let p = gid.x + gid.y * nwg.x * WG;
  if (p >= rp.n_pairs) { return; }
  let half = rp.hd / 2u;
  let i = p % half;
  let row = p / half;
  let pos = rp.offset + (row / rp.inner) % rp.t;
  let a = reduce_angle(f32(pos) * rp.freq[i / 4u][i % 4u]);
  let c = cos(a);
  let s = sin(a) * rp.sign;
  var i0 = row * rp.hd + 2u * i;
  var i1 = i0 + 1u;
  if (rp.half_layout == 1u) {
    i0 = row * rp.hd + i;
    i1 = i0 + half;
  }
  let x0 = rx[i0];
  let x1 = rx[i1];
  ry[i0] = x0 * c - x1 * s;
  ry[i1] = x0 * s + x1 * c;
}
