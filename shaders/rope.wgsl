// Rotary position embedding on x[B, T, H, D], forward and backward (rotation by the negative
// angle), with partial rotary: dims d >= R = 2 * half pass through unchanged. Pair i of a head
// is (i, i + half) in the 'half' layout (HF rotate_half) and (2i, 2i + 1) when INTERLEAVED
// (GPT-J, Meta's original Llama). One invocation per output element; the partner element is read
// again by its own invocation, cheaper than a second pass over cos/sin tables.
//
// Precision: the angle is the f32 product f32(position) * invFreq[i], rounded once like HF's f32
// `freqs`; at positions near 8k that rounding is up to 2^-11 rad, but it is the model's own
// definition. cos/sin of a large angle are not accurate in WGSL (the builtins only promise
// 2^-11 absolute on [-pi, pi]), so the angle is first reduced to [-pi, pi] with a two-part 2*pi
// (Cody-Waite): k * TWO_PI_HI is exact for |k| < 2^16, leaving ~1e-7 * (1 + k / 1000) rad of
// error (< 4e-7 rad up to position 8k), far below the product's own rounding.

const WG: u32 = 256u;
const INTERLEAVED: bool = false;

struct Params { n: u32, D: u32, H: u32, half: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// Backward binds dy as x and writes dx to y.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<i32>;
@group(0) @binding(3) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const INV_TWO_PI: f32 = 0.15915494309189535;
const TWO_PI_HI: f32 = 6.28125; // 8 significant bits
const TWO_PI_LO: f32 = 0.0019353071795864769; // 2 * pi - TWO_PI_HI

fn reduce_angle(theta: f32) -> f32 {
  let k = round(theta * INV_TWO_PI);
  return (theta - k * TWO_PI_HI) - k * TWO_PI_LO;
}

// sin_sign = 1 rotates by +angle (forward), -1 by -angle (backward: the transpose of a rotation).
fn rotate(idx: u32, sin_sign: f32) {
  if (idx >= p.n) { return; }
  let d = idx % p.D;
  if (d >= 2u * p.half) {
    y[idx] = x[idx];
    return;
  }
  let head = idx - d;
  let token = idx / (p.D * p.H);
  var i: u32;
  var lo: u32;
  var hi: u32;
  if (INTERLEAVED) {
    i = d / 2u;
    lo = 2u * i;
    hi = lo + 1u;
  } else {
    i = select(d - p.half, d, d < p.half);
    lo = i;
    hi = i + p.half;
  }
  let angle = reduce_angle(f32(positions[token]) * inv_freq[i]);
  let c = cos(angle);
  let s = sin_sign * sin(angle);
  let a = x[head + lo];
  let b = x[head + hi];
  y[idx] = select(b * c + a * s, a * c - b * s, d == lo);
}

@compute @workgroup_size(WG)
fn rope_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  rotate(gid.x + gid.y * nwg.x * WG, 1.0);
}

@compute @workgroup_size(WG)
fn rope_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  rotate(gid.x + gid.y * nwg.x * WG, -1.0);
}
