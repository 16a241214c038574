// Row-wise softmax over the last dimension, its backward pass, cross-entropy and the log-probability
// of chosen tokens (which share the row reduction). One workgroup per row: every
// invocation strides over the row's columns, so rows of any length (1 to a 150k-word vocabulary)
// work, and the partial results meet in a workgroup tree reduction.

const WG: u32 = 256u;
// Start of the running maximum; finite, so exp(LOWEST - m) is 0 rather than exp(-inf - -inf) = NaN.
const LOWEST: f32 = -0x1.fffffep+127f;

struct Params { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Params;

// Forward: y = softmax(x)
@group(0) @binding(1) var<storage, read> fx: array<f32>;
@group(0) @binding(2) var<storage, read_write> fy: array<f32>;

// Backward: dx = y * (dy - sum(y * dy))
@group(0) @binding(1) var<storage, read> by: array<f32>;
@group(0) @binding(2) var<storage, read> bdy: array<f32>;
@group(0) @binding(3) var<storage, read_write> bdx: array<f32>;

var<workgroup> red_max: array<f32, WG>;
var<workgroup> red_sum: array<f32, WG>;

// Rows beyond 65535 spill into the grid's y dimension.
fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// Online max and sum of exp(x - max) in one read of the row; the pair is rescaled whenever the
// maximum grows, so no exp ever sees a positive argument.
fn row_max_sum(base: u32, lid: u32) -> vec2f {
  var m = LOWEST;
  var s = 0.0;
  for (var j = lid; j < p.cols; j += WG) {
    let x = fx[base + j];
    if (x > m) {
      s = s * exp(m - x) + 1.0;
      m = x;
    } else {
      s += exp(x - m);
    }
  }
  red_max[lid] = m;
  red_sum[lid] = s;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      let m2 = red_max[lid + stride];
      let mm = max(m, m2);
      s = s * exp(m - mm) + red_sum[lid + stride] * exp(m2 - mm);
      m = mm;
      red_max[lid] = m;
      red_sum[lid] = s;
    }
    workgroupBarrier();
  }
  return vec2f(red_max[0], red_sum[0]);
}

@compute @workgroup_size(WG)
fn softmax_forward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let ms = row_max_sum(base, lid);
  let inv = 1.0 / ms.y;
  for (var j = lid; j < p.cols; j += WG) {
    fy[base + j] = exp(fx[base + j] - ms.x) * inv;
  }
}

@compute @workgroup_size(WG)
fn softmax_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  var d = 0.0;
  for (var j = lid; j < p.cols; j += WG) {
    d += by[base + j] * bdy[base + j];
  }
  red_sum[lid] = d;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      red_sum[lid] += red_sum[lid + stride];
    }
    workgroupBarrier();
  }
  let dot = red_sum[0];
  for (var j = lid; j < p.cols; j += WG) {
    bdx[base + j] = by[base + j] * (bdy[base + j] - dot);
  }
}

// Cross-entropy of logits [N, V] against targets i32 [N], loss and gradient in one pass over the
// logits. V is whatever vocabulary subset the caller computed logits for (a few label words or a
// full 150k vocabulary). A target outside [0, V), -1 included, marks the row as ignored: loss 0,
// gradient 0, not counted for 'mean', and its logit is never read.

// ce_scale: one workgroup turns the targets into the gradient scale, so 'mean' needs no readback.
struct ScaleParams { rows: u32, cols: u32, mean: u32 }
@group(0) @binding(0) var<uniform> sp: ScaleParams;
@group(0) @binding(1) var<storage, read> s_targets: array<i32>;
@group(0) @binding(2) var<storage, read_write> s_scale: array<f32>;

// ce_forward_backward: one workgroup per row; the logits are bound as fx, like softmax's input.
@group(0) @binding(2) var<storage, read> targets: array<i32>;
@group(0) @binding(3) var<storage, read> scale: array<f32>;
@group(0) @binding(4) var<storage, read_write> loss: array<f32>;
@group(0) @binding(5) var<storage, read_write> dlogits: array<f32>;

var<workgroup> counted: atomic<u32>;

fn is_valid(t: i32, cols: u32) -> bool {
  return t >= 0 && u32(t) < cols;
}

@compute @workgroup_size(WG)
fn ce_scale(@builtin(local_invocation_index) lid: u32) {
  var n = 0u;
  for (var i = lid; i < sp.rows; i += WG) {
    n += select(0u, 1u, is_valid(s_targets[i], sp.cols));
  }
  atomicAdd(&counted, n);
  workgroupBarrier();
  if (lid == 0u) {
    // With no counted row every gradient is 0 anyway; max() only keeps 1/0 out of the buffer.
    s_scale[0] = select(1.0, 1.0 / f32(max(atomicLoad(&counted), 1u)), sp.mean != 0u);
  }
}

@compute @workgroup_size(WG)
fn ce_forward_backward(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let t = targets[row];
  let valid = is_valid(t, p.cols);

  // Ignored rows run the reduction too, so the barriers stay in uniform control flow.
  let ms = row_max_sum(base, lid);
  let row_max = ms.x;
  let row_sum = ms.y;

  if (lid == 0u) {
    var l = 0.0;
    if (valid) {
      // (max - x_t) first: both are logits of similar size, so the difference is exact before log(sum) is added.
      l = (row_max - fx[base + u32(t)]) + log(row_sum);
    }
    loss[row] = l;
  }
  let g = select(0.0, scale[0], valid);
  let inv = 1.0 / row_sum;
  for (var j = lid; j < p.cols; j += WG) {
    let onehot = select(0.0, 1.0, valid && j == u32(t));
    dlogits[base + j] = select(0.0, (exp(fx[base + j] - row_max) * inv - onehot) * g, valid);
  }
}

// token_log_probs: log softmax(logits[n])[t] for the TARGETS token ids t of each row, in one read of
// the row, so a label's score over the whole vocabulary never needs the [N, V] logits on the host.
// targets [N, TARGETS] (bound at 2, as cross-entropy's), out [N, TARGETS]; an invalid target gives 0.
const TARGETS: u32 = 1u;
@group(0) @binding(3) var<storage, read_write> log_probs: array<f32>;

@compute @workgroup_size(WG)
fn token_log_probs(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.rows) { return; }
  let base = row * p.cols;
  let ms = row_max_sum(base, lid);
  let log_sum = log(ms.y);
  for (var k = lid; k < TARGETS; k += WG) {
    let t = targets[row * TARGETS + k];
    var v = 0.0;
    if (is_valid(t, p.cols)) {
      // As in ce_forward_backward: the difference of two similar logits first, then the normaliser.
      v = (fx[base + u32(t)] - ms.x) - log_sum;
    }
    log_probs[row * TARGETS + k] = v;
  }
}
