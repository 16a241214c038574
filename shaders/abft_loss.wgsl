// ABFT loss (ABFT-SPEC.md §3) on one layer's last-row attention probabilities α [B, H, 1, T]:
// the head filter, the gradient dL/dα and the per-head statistics the trainer streams, in one pass.
// One workgroup per (prompt, head) row: the row's masses on I⁺ and I⁻ meet in a tree reduction,
// then every invocation writes the gradient of its positions.

const WG: u32 = 256u;
// Fields per (prompt, layer, head) in `stats`, in this order (STAT in src/abft/loss.ts mirrors it).
const STATS: u32 = 6u;
const STAT_LABEL_MASS: u32 = 0u;
const STAT_PASSED: u32 = 1u;
const STAT_LOSS: u32 = 2u;
const STAT_PLUS: u32 = 3u;
const STAT_MINUS: u32 = 4u;
const STAT_SINK: u32 = 5u;

struct Params {
  batch: u32,
  heads: u32,
  cols: u32,
  layers: u32,
  layer: u32,
  head_filter: u32,
  demos: f32,
  log_scale: f32,
  punishment: f32,
  reward: f32,
  grad_scale: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read> lengths: array<i32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<f32>;

var<workgroup> red_plus: array<f32, WG>;
var<workgroup> red_minus: array<f32, WG>;
var<workgroup> red_count: array<u32, WG>;

// Rows beyond 65535 spill into the grid's y dimension.
fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

// +1 on I⁺, -1 on I⁻, 0 elsewhere; padding beyond the prompt's length is never a label,
// whatever the labels buffer holds there.
fn label_at(b: u32, j: u32, len: u32) -> i32 {
  if (j >= len) { return 0; }
  let l = labels[b * p.cols + j];
  return select(0, l, l == 1 || l == -1);
}

@compute @workgroup_size(WG)
fn abft_loss(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.batch * p.heads) { return; }
  let b = row / p.heads;
  let h = row % p.heads;
  let base = row * p.cols;
  // A length of 0 or less marks an absent prompt (e.g. the unused tail of a partial batch).
  let len = u32(clamp(lengths[b], 0, i32(p.cols)));

  var plus = 0.0;
  var minus = 0.0;
  var count = 0u;
  for (var j = lid; j < len; j += WG) {
    let l = label_at(b, j, len);
    let a = probs[base + j];
    if (l == 1) {
      plus += a;
      count += 1u;
    } else if (l == -1) {
      minus += a;
    }
  }
  red_plus[lid] = plus;
  red_minus[lid] = minus;
  red_count[lid] = count;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      red_plus[lid] += red_plus[lid + stride];
      red_minus[lid] += red_minus[lid + stride];
      red_count[lid] += red_count[lid + stride];
    }
    workgroupBarrier();
  }
  let mass_plus = red_plus[0];
  let mass_minus = red_minus[0];
  let label_mass = mass_plus + mass_minus;

  // Strict S > T as the paper writes it; the comparison is a hard mask with no gradient.
  // max(len, 1) keeps log away from 0 for an absent prompt, which has no labels and S = 0 anyway.
  let threshold = p.demos / (p.demos + log(f32(max(len, 1u))) * p.log_scale);
  let passed = len > 0u && (p.head_filter == 0u || label_mass > threshold);

  if (lid == 0u) {
    let loss = p.punishment * mass_minus + p.reward * (f32(red_count[0]) - mass_plus);
    let s = ((b * p.layers + p.layer) * p.heads + h) * STATS;
    stats[s + STAT_LABEL_MASS] = label_mass;
    stats[s + STAT_PASSED] = select(0.0, 1.0, passed);
    stats[s + STAT_LOSS] = select(0.0, loss, passed);
    stats[s + STAT_PLUS] = mass_plus;
    stats[s + STAT_MINUS] = mass_minus;
    stats[s + STAT_SINK] = select(0.0, probs[base], len > 0u);
  }

  let g_minus = select(0.0, p.punishment * p.grad_scale, passed);
  let g_plus = select(0.0, -p.reward * p.grad_scale, passed);
  for (var j = lid; j < p.cols; j += WG) {
    let l = label_at(b, j, len);
    grad[base + j] = select(select(0.0, g_minus, l == -1), g_plus, l == 1);
  }
}
