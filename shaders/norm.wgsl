// LayerNorm (GPT-2) and RMSNorm (Llama; Gemma's (1 + w) through weight_offset = 1) over the last
// dimension, forward and backward.
// Row kernels: one workgroup per row; each invocation sums a strided slice of the row, then a
// tree reduction in workgroup memory combines the WG partial sums in a fixed order, so results
// are deterministic for any C (1, odd, or many times WG).
// Weight/bias gradients are sums over rows, done without atomics in two deterministic stages:
// partial sums over chunks of rows here, then a column sum over the chunks (reduce.wgsl).

const WG: u32 = 256u;

struct RowParams { rows: u32, C: u32, eps: f32 }
// RMSNorm scales by (weight_offset + w): 0 for Llama and Qwen, 1 for Gemma.
struct RmsRowParams { rows: u32, C: u32, eps: f32, weight_offset: f32 }
struct GradParams { rows: u32, C: u32, chunk: u32 }

@group(0) @binding(0) var<uniform> p: RowParams;
@group(0) @binding(0) var<uniform> rp: RmsRowParams;
@group(0) @binding(0) var<uniform> gp: GradParams;

// layernorm_forward
@group(0) @binding(1) var<storage, read> lf_x: array<f32>;
@group(0) @binding(2) var<storage, read> lf_w: array<f32>;
@group(0) @binding(3) var<storage, read> lf_b: array<f32>;
@group(0) @binding(4) var<storage, read_write> lf_y: array<f32>;
@group(0) @binding(5) var<storage, read_write> lf_mean: array<f32>;
@group(0) @binding(6) var<storage, read_write> lf_rstd: array<f32>;

// layernorm_backward
@group(0) @binding(1) var<storage, read> lb_x: array<f32>;
@group(0) @binding(2) var<storage, read> lb_w: array<f32>;
@group(0) @binding(3) var<storage, read> lb_mean: array<f32>;
@group(0) @binding(4) var<storage, read> lb_rstd: array<f32>;
@group(0) @binding(5) var<storage, read> lb_dy: array<f32>;
@group(0) @binding(6) var<storage, read_write> lb_dx: array<f32>;

// rmsnorm_forward
@group(0) @binding(1) var<storage, read> rf_x: array<f32>;
@group(0) @binding(2) var<storage, read> rf_w: array<f32>;
@group(0) @binding(3) var<storage, read_write> rf_y: array<f32>;
@group(0) @binding(4) var<storage, read_write> rf_rstd: array<f32>;

// rmsnorm_backward
@group(0) @binding(1) var<storage, read> rb_x: array<f32>;
@group(0) @binding(2) var<storage, read> rb_w: array<f32>;
@group(0) @binding(3) var<storage, read> rb_rstd: array<f32>;
@group(0) @binding(4) var<storage, read> rb_dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> rb_dx: array<f32>;

// layernorm_param_grads: partial sums of dy * xhat and dy over each chunk of rows, [chunks, C]
@group(0) @binding(1) var<storage, read> lg_x: array<f32>;
@group(0) @binding(2) var<storage, read> lg_mean: array<f32>;
@group(0) @binding(3) var<storage, read> lg_rstd: array<f32>;
@group(0) @binding(4) var<storage, read> lg_dy: array<f32>;
@group(0) @binding(5) var<storage, read_write> lg_dw: array<f32>;
@group(0) @binding(6) var<storage, read_write> lg_db: array<f32>;

// rmsnorm_param_grads: partial sums of dy * xhat over each chunk of rows, [chunks, C]
@group(0) @binding(1) var<storage, read> rg_x: array<f32>;
@group(0) @binding(2) var<storage, read> rg_rstd: array<f32>;
@group(0) @binding(3) var<storage, read> rg_dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> rg_dw: array<f32>;

var<workgroup> red: array<vec2f, WG>;

// Sums v over the workgroup (two sums at once, for the backward passes). Must be reached by
// every invocation of the workgroup; the trailing barrier lets the caller reuse `red` at once.
fn workgroup_sum(v: vec2f, lid: u32) -> vec2f {
  red[lid] = v;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s >> 1u) {
    if (lid < s) { red[lid] += red[lid + s]; }
    workgroupBarrier();
  }
  let total = red[0];
  workgroupBarrier();
  return total;
}

// Rows beyond 65535 spill into the grid's y dimension.
fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

@compute @workgroup_size(WG)
fn layernorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.C;
  let inv_c = 1.0 / f32(p.C);
  var s = 0.0;
  for (var c = lid; c < p.C; c += WG) { s += lf_x[base + c]; }
  let mean = workgroup_sum(vec2f(s, 0.0), lid).x * inv_c;
  // Second pass over (x - mean): no cancellation of E[x^2] - E[x]^2 when |mean| >> std.
  var q = 0.0;
  for (var c = lid; c < p.C; c += WG) {
    let d = lf_x[base + c] - mean;
    q += d * d;
  }
  let rstd = inverseSqrt(workgroup_sum(vec2f(q, 0.0), lid).x * inv_c + p.eps);
  for (var c = lid; c < p.C; c += WG) {
    lf_y[base + c] = (lf_x[base + c] - mean) * rstd * lf_w[c] + lf_b[c];
  }
  if (lid == 0u) {
    lf_mean[row] = mean;
    lf_rstd[row] = rstd;
  }
}

// dx = rstd * (g - mean(g) - xhat * mean(g * xhat)) with g = dy * w.
@compute @workgroup_size(WG)
fn layernorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.C;
  let mean = lb_mean[row];
  let rstd = lb_rstd[row];
  var s = vec2f(0.0);
  for (var c = lid; c < p.C; c += WG) {
    let g = lb_dy[base + c] * lb_w[c];
    s += vec2f(g, g * (lb_x[base + c] - mean) * rstd);
  }
  let m = workgroup_sum(s, lid) / f32(p.C);
  for (var c = lid; c < p.C; c += WG) {
    let g = lb_dy[base + c] * lb_w[c];
    let xhat = (lb_x[base + c] - mean) * rstd;
    lb_dx[base + c] = rstd * (g - m.x - xhat * m.y);
  }
}

@compute @workgroup_size(WG)
fn rmsnorm_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= rp.rows) { return; }
  let base = row * rp.C;
  var q = 0.0;
  for (var c = lid; c < rp.C; c += WG) {
    let v = rf_x[base + c];
    q += v * v;
  }
  let rstd = inverseSqrt(workgroup_sum(vec2f(q, 0.0), lid).x / f32(rp.C) + rp.eps);
  for (var c = lid; c < rp.C; c += WG) {
    rf_y[base + c] = rf_x[base + c] * rstd * (rp.weight_offset + rf_w[c]);
  }
  if (lid == 0u) { rf_rstd[row] = rstd; }
}

// dx = rstd * (g - xhat * mean(g * xhat)) with g = dy * (weight_offset + w), xhat = x * rstd.
@compute @workgroup_size(WG)
fn rmsnorm_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= rp.rows) { return; }
  let base = row * rp.C;
  let rstd = rb_rstd[row];
  var s = 0.0;
  for (var c = lid; c < rp.C; c += WG) {
    s += rb_dy[base + c] * (rp.weight_offset + rb_w[c]) * rb_x[base + c] * rstd;
  }
  let m = workgroup_sum(vec2f(s, 0.0), lid).x / f32(rp.C);
  for (var c = lid; c < rp.C; c += WG) {
    let xhat = rb_x[base + c] * rstd;
    rb_dx[base + c] = rstd * (rb_dy[base + c] * (rp.weight_offset + rb_w[c]) - xhat * m);
  }
}

// Grid: x over columns, y over chunks of gp.chunk rows; adjacent invocations read adjacent columns.
@compute @workgroup_size(WG)
fn layernorm_param_grads(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= gp.C) { return; }
  let first = gid.y * gp.chunk;
  let last = min(first + gp.chunk, gp.rows);
  var dw = 0.0;
  var db = 0.0;
  for (var r = first; r < last; r++) {
    let dy = lg_dy[r * gp.C + c];
    dw += dy * (lg_x[r * gp.C + c] - lg_mean[r]) * lg_rstd[r];
    db += dy;
  }
  lg_dw[gid.y * gp.C + c] = dw;
  lg_db[gid.y * gp.C + c] = db;
}

@compute @workgroup_size(WG)
fn rmsnorm_param_grads(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= gp.C) { return; }
  let first = gid.y * gp.chunk;
  let last = min(first + gp.chunk, gp.rows);
  var dw = 0.0;
  for (var r = first; r < last; r++) {
    dw += rg_dy[r * gp.C + c] * rg_x[r * gp.C + c] * rg_rstd[r];
  }
  rg_dw[gid.y * gp.C + c] = dw;
}
