// Elementwise activations and their backward passes: GELU (tanh form, as GPT-2), SiLU and the gated
// MLP products silu(gate) * up (SwiGLU, Llama-style MLPs) and gelu(gate) * up (GeGLU, Gemma's
// gelu_pytorch_tanh, the same tanh form). One invocation per element.

const WG: u32 = 256u;

struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// Forward: y = f(x)
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read_write> fy: array<f32>;

// Backward: dx = f'(x) * dy
@group(0) @binding(1) var<storage, read> bx: array<f32>;
@group(0) @binding(2) var<storage, read> bdy: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdx: array<f32>;

// SwiGLU and GeGLU forward: y = act(gate) * up
@group(0) @binding(1) var<storage, read> sg_gate: array<f32>;
@group(0) @binding(2) var<storage, read> sg_up: array<f32>;
@group(0) @binding(3) var<storage, read_write> sg_y: array<f32>;

// SwiGLU and GeGLU backward
@group(0) @binding(1) var<storage, read> sgb_gate: array<f32>;
@group(0) @binding(2) var<storage, read> sgb_up: array<f32>;
@group(0) @binding(3) var<storage, read> sgb_dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> sgb_dgate: array<f32>;
@group(0) @binding(5) var<storage, read_write> sgb_dup: array<f32>;

const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_A: f32 = 0.044715;

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// tanh through exp of a negative argument: never overflows, exact to f32 rounding at both tails.
fn stable_tanh(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * (1.0 - e) / (1.0 + e);
}

fn sigmoid(x: f32) -> f32 {
  if (x >= 0.0) {
    return 1.0 / (1.0 + exp(-x));
  }
  let e = exp(x);
  return e / (1.0 + e);
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + stable_tanh(GELU_C * (x + GELU_A * x * x * x)));
}

fn gelu_grad(x: f32) -> f32 {
  let u = GELU_C * (x + GELU_A * x * x * x);
  let t = stable_tanh(u);
  let du = GELU_C * (1.0 + 3.0 * GELU_A * x * x);
  return 0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du;
}

fn silu(x: f32) -> f32 {
  return x * sigmoid(x);
}

fn silu_grad(x: f32) -> f32 {
  let s = sigmoid(x);
  return s * (1.0 + x * (1.0 - s));
}

@compute @workgroup_size(WG)
fn gelu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { fy[i] = gelu(fx[i]); }
}

@compute @workgroup_size(WG)
fn gelu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { bdx[i] = gelu_grad(bx[i]) * bdy[i]; }
}

@compute @workgroup_size(WG)
fn silu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { fy[i] = silu(fx[i]); }
}

@compute @workgroup_size(WG)
fn silu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { bdx[i] = silu_grad(bx[i]) * bdy[i]; }
}

@compute @workgroup_size(WG)
fn swiglu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { sg_y[i] = silu(sg_gate[i]) * sg_up[i]; }
}

@compute @workgroup_size(WG)
fn swiglu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) {
    let g = sgb_gate[i];
    let dy = sgb_dy[i];
    sgb_dgate[i] = dy * sgb_up[i] * silu_grad(g);
    sgb_dup[i] = dy * silu(g);
  }
}

@compute @workgroup_size(WG)
fn geglu_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { sg_y[i] = gelu(sg_gate[i]) * sg_up[i]; }
}

@compute @workgroup_size(WG)
fn geglu_backward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) {
    let g = sgb_gate[i];
    let dy = sgb_dy[i];
    sgb_dgate[i] = dy * sgb_up[i] * gelu_grad(g);
    sgb_dup[i] = dy * gelu(g);
  }
}
