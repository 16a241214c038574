// Rotary position embedding on x[B, T, H, D], forward and backward (rotation by the negative
// angle), with partial rotary: dims d >= R = 2 * half pass through unchanged. Pair i of a head
// is (i, i + half) in the 'half' layout (HF rotate_half) and (2i, 2i + 1) when INTERLEAVED
// (GPT-J, Meta's original Llama). One invocation per output element; the partner element is read
// again by its own invocation, cheaper than a second pass over cos/sin tables.
//
// Precision: the angle is the f32 product f32(position) * invFreq[i], rounded once like HF's f32
// `freqs`; at positions near 8k that rounding is up to 2^-11 rad, but it is the model's own
// definition. WGSL's sin and cos only promise 2^-11 absolute error on [-pi, pi] (SwiftShader is
// that coarse: 1.6e-4 was measured), so sin and cos are computed here: reduction by pi/2 with a
// two-part constant (Cody-Waite; k * PI_2_HI is exact for |k| < 2^16, angles up to ~1e5 rad), then
// Taylor polynomials on [-pi/4, pi/4] whose truncation error is below 2e-9. Any GPU then agrees
// with float64 to a few f32 roundings, ~2e-7.

const WG: u32 = 256u;
const INTERLEAVED: bool = false;

struct Params { n: u32, D: u32, H: u32, half: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// Backward binds dy as x and writes dx to y.
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> positions: array<i32>;
@group(0) @binding(3) var<storage, read> inv_freq: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

const TWO_OVER_PI: f32 = 0.63661977236758134;
const PI_2_HI: f32 = 1.5703125; // 8 significant bits
const PI_2_LO: f32 = 4.8382679489661923e-4; // pi / 2 - PI_2_HI

// (sin, cos) of theta.
fn sin_cos(theta: f32) -> vec2f {
  let k = round(theta * TWO_OVER_PI);
  let r = (theta - k * PI_2_HI) - k * PI_2_LO;
  let r2 = r * r;
  let s = r * (1.0 + r2 * (-1.0 / 6.0 + r2 * (1.0 / 120.0 + r2 * (-1.0 / 5040.0 + r2 * (1.0 / 362880.0)))));
  let c = 1.0 + r2 * (-0.5 + r2 * (1.0 / 24.0 + r2 * (-1.0 / 720.0 + r2 * (1.0 / 40320.0 + r2 * (-1.0 / 3628800.0)))));
  switch (i32(k) & 3) {
    case 0: { return vec2f(s, c); }
    case 1: { return vec2f(c, -s); }
    case 2: { return vec2f(-s, -c); }
    default: { return vec2f(-c, s); }
  }
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
  let sc = sin_cos(f32(positions[token]) * inv_freq[i]);
  let c = sc.y;
  let s = sin_sign * sc.x;
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
