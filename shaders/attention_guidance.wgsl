// A loss on chosen attention rows (pretraining's attention guidance, src/pretrain/attention-guidance.ts):
// for every (sequence, head, row) with targets, L = -w_h log(Σ_j α_j t_j + eps), the negative log of
// the attention mass on the target keys, and its gradient dL/dα_j = -w_h t_j / (mass + eps).
// One workgroup per row of α [B, H, R, T]; rows without a target, and heads of weight 0, give 0.

const WG: u32 = 256u;

struct Params {
  batch: u32,
  heads: u32,
  rows: u32,
  cols: u32,
  eps: f32,
}
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> probs: array<f32>;
// [B, R, T]: 1 where key j is a target of row r, else 0; shared by the heads.
@group(0) @binding(2) var<storage, read> targets: array<u32>;
// [H]: each head's weight, 0 for a head not guided.
@group(0) @binding(3) var<storage, read> head_weights: array<f32>;
@group(0) @binding(4) var<storage, read_write> grad: array<f32>;
// [B, H, R]: each row's weighted loss.
@group(0) @binding(5) var<storage, read_write> loss: array<f32>;

var<workgroup> red_mass: array<f32, WG>;
var<workgroup> red_count: array<u32, WG>;

fn row_index(wid: vec3u, nwg: vec3u) -> u32 {
  return wid.x + wid.y * nwg.x;
}

@compute @workgroup_size(WG)
fn attention_guidance(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lid: u32) {
  let row = row_index(wid, nwg);
  if (row >= p.batch * p.heads * p.rows) { return; }
  let r = row % p.rows;
  let h = (row / p.rows) % p.heads;
  let b = row / (p.rows * p.heads);
  let base = row * p.cols;
  let tbase = (b * p.rows + r) * p.cols;

  var mass = 0.0;
  var count = 0u;
  for (var j = lid; j < p.cols; j += WG) {
    let t = select(0u, 1u, targets[tbase + j] != 0u);
    mass += select(0.0, probs[base + j], t == 1u);
    count += t;
  }
  red_mass[lid] = mass;
  red_count[lid] = count;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      red_mass[lid] += red_mass[lid + stride];
      red_count[lid] += red_count[lid + stride];
    }
    workgroupBarrier();
  }
  let w = select(0.0, head_weights[h], red_count[0] > 0u);
  let denom = red_mass[0] + p.eps;
  if (lid == 0u) {
    loss[row] = select(0.0, -w * log(denom), w != 0.0);
  }
  let g = -w / denom;
  for (var j = lid; j < p.cols; j += WG) {
    grad[base + j] = select(0.0, g, targets[tbase + j] != 0u);
  }
}
