// Optimizer updates, in place, one invocation per element: Adam/AdamW, SGD with momentum, gradient
// accumulation, and global-norm gradient clipping without a readback. Formulas follow PyTorch's
// torch.optim.Adam, AdamW, SGD (dampening 0) and torch.nn.utils.clip_grad_norm_.

const WG: u32 = 256u;
// Workgroups of the sum-of-squares pass per tensor; it grid-strides, so any size fits.
const NORM_GROUPS: u32 = 256u;

// Adam and AdamW. Scalars that depend only on the step are computed on the CPU in float64:
// step_size = lr / (1 - beta1^t), bc2_sqrt = sqrt(1 - beta2^t), and the weight decay split into
// l2 (Adam: added to the gradient) or decay = 1 - lr * weight_decay (AdamW: applied to the parameter).
// 1 - beta comes from the CPU too: in f32, 1 - f32(0.999) is off by 1.3e-5 relative, PyTorch's is not.
struct AdamParams {
  n: u32,
  step_size: f32,
  bc2_sqrt: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  l2: f32,
  decay: f32,
  grad_scale: f32,
}
@group(0) @binding(0) var<uniform> ap: AdamParams;
@group(0) @binding(1) var<storage, read_write> a_param: array<f32>;
@group(0) @binding(2) var<storage, read> a_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> a_m: array<f32>;
@group(0) @binding(4) var<storage, read_write> a_v: array<f32>;
// adam_step_gated: nonzero when the step must not be applied (see finite.wgsl).
@group(0) @binding(5) var<storage, read> a_skip: array<u32>;

// SGD; the momentum buffer starts at zero, which equals PyTorch's clone of the first gradient when dampening is 0.
struct SgdParams { n: u32, lr: f32, momentum: f32, weight_decay: f32, grad_scale: f32, nesterov: u32 }
@group(0) @binding(0) var<uniform> sp: SgdParams;
@group(0) @binding(1) var<storage, read_write> s_param: array<f32>;
@group(0) @binding(2) var<storage, read> s_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> s_buf: array<f32>;

// acc += g, and g *= clip coefficient.
struct Params { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read_write> acc: array<f32>;
@group(0) @binding(2) var<storage, read> acc_g: array<f32>;

// Sum of squares of one gradient into its NORM_GROUPS slots of the partials buffer.
struct NormParams { n: u32, slot: u32 }
@group(0) @binding(0) var<uniform> np: NormParams;
@group(0) @binding(1) var<storage, read> n_grad: array<f32>;
@group(0) @binding(2) var<storage, read_write> n_partials: array<f32>;

// Total norm from all partials, times the gradient scale the optimizer will apply; one workgroup.
struct TotalParams { slots: u32, scale: f32 }
@group(0) @binding(0) var<uniform> tp: TotalParams;
@group(0) @binding(1) var<storage, read> t_partials: array<f32>;
@group(0) @binding(2) var<storage, read_write> t_norm: array<f32>;

// g *= min(1, max_norm / (norm + 1e-6)).
struct ClipParams { n: u32, max_norm: f32 }
@group(0) @binding(0) var<uniform> cp: ClipParams;
@group(0) @binding(1) var<storage, read_write> c_grad: array<f32>;
@group(0) @binding(2) var<storage, read> c_norm: array<f32>;

var<workgroup> red: array<f32, WG>;

fn index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

fn workgroup_sum(lid: u32, v: f32) -> f32 {
  red[lid] = v;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      red[lid] += red[lid + stride];
    }
    workgroupBarrier();
  }
  return red[0];
}

fn adam_update(i: u32) {
  let p0 = a_param[i];
  let g = a_grad[i] * ap.grad_scale + ap.l2 * p0;
  let m = a_m[i] + ap.one_minus_beta1 * (g - a_m[i]);
  let v = ap.beta2 * a_v[i] + ap.one_minus_beta2 * g * g;
  a_m[i] = m;
  a_v[i] = v;
  a_param[i] = p0 * ap.decay - ap.step_size * m / (sqrt(v) / ap.bc2_sqrt + ap.eps);
}

@compute @workgroup_size(WG)
fn adam_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < ap.n) { adam_update(i); }
}

@compute @workgroup_size(WG)
fn adam_step_gated(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < ap.n && a_skip[0] == 0u) { adam_update(i); }
}

@compute @workgroup_size(WG)
fn sgd_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= sp.n) { return; }
  let p0 = s_param[i];
  s_param[i] = p0 - sp.lr * (s_grad[i] * sp.grad_scale + sp.weight_decay * p0);
}

@compute @workgroup_size(WG)
fn sgd_momentum_step(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i >= sp.n) { return; }
  let p0 = s_param[i];
  let g = s_grad[i] * sp.grad_scale + sp.weight_decay * p0;
  let buf = sp.momentum * s_buf[i] + g;
  s_buf[i] = buf;
  let d = select(buf, g + sp.momentum * buf, sp.nesterov != 0u);
  s_param[i] = p0 - sp.lr * d;
}

@compute @workgroup_size(WG)
fn accumulate(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < p.n) { acc[i] += acc_g[i]; }
}

@compute @workgroup_size(WG)
fn grad_sumsq(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = gid.x; i < np.n; i += NORM_GROUPS * WG) {
    let g = n_grad[i];
    s += g * g;
  }
  let total = workgroup_sum(lid, s);
  if (lid == 0u) { n_partials[np.slot + wid.x] = total; }
}

@compute @workgroup_size(WG)
fn grad_norm_total(@builtin(local_invocation_index) lid: u32) {
  var s = 0.0;
  for (var i = lid; i < tp.slots; i += WG) {
    s += t_partials[i];
  }
  let total = workgroup_sum(lid, s);
  if (lid == 0u) { t_norm[0] = sqrt(total) * tp.scale; }
}

@compute @workgroup_size(WG)
fn clip_by_norm(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = index(gid, nwg);
  if (i < cp.n) { c_grad[i] *= min(1.0, cp.max_norm / (c_norm[0] + 1e-6)); }
}
