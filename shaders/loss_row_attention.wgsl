// Attention probabilities of a few chosen query rows per sequence (ABFT's loss rows, spec §3-4) and
// their backward, from q of those rows only: no T x T work and no zero-padded q. Layouts:
// q, dq [B, R, Hq, D] (the chosen rows' queries); k, dk [B, T, Hkv, D]; keyMask [B, T];
// rows [B, R] i32 (each chosen row's position in its sequence); probs, dprobs, ds [B, Hq, R, T];
// lse [B, Hq, R]. Masking as shaders/attention.wgsl: row i sees key j when j <= i, key j is not
// padding and, under a sliding window (window > 0), i - j < window; query head h reads kv head h / (Hq / Hkv); a row outside [0, T) or one that sees no key
// gives probabilities 0 and lse 0.
//
// The row kernels run one workgroup per (row, head, sequence): invocations stride over the keys and
// meet in a workgroup tree reduction, so T is bounded only by the buffers.

const HEAD_DIM: u32 = 64u;
// ceil(HEAD_DIM / WG): the head dimensions each invocation accumulates in the dq pass.
const DIMS_PER_INVOCATION: u32 = 1u;
const WG: u32 = 64u;
// Below any real score, and finite: WGSL implementations may assume no infinities exist.
const NO_SCORE: f32 = -3.0e38;

struct Params {
  batch: u32,
  seq: u32,
  rows: u32,
  q_heads: u32,
  kv_heads: u32,
  scale: f32,
  // Keys a row sees at most, itself included; 0 = all earlier keys.
  window: u32,
}
@group(0) @binding(0) var<uniform> p: Params;

// q for every pass; k, mask and rows for the two row passes.
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> mask_in: array<u32>;
@group(0) @binding(4) var<storage, read> rows_in: array<i32>;

// Forward
@group(0) @binding(5) var<storage, read_write> fw_probs: array<f32>;
@group(0) @binding(6) var<storage, read_write> fw_lse: array<f32>;

// Backward, ds and dq
@group(0) @binding(5) var<storage, read> bw_lse: array<f32>;
@group(0) @binding(6) var<storage, read> bw_dprobs: array<f32>;
@group(0) @binding(7) var<storage, read_write> bw_ds: array<f32>;
@group(0) @binding(8) var<storage, read_write> bw_dq: array<f32>;

// Backward, dk: q and the ds of the pass before.
@group(0) @binding(2) var<storage, read> dk_ds: array<f32>;
@group(0) @binding(3) var<storage, read_write> dk_out: array<f32>;

var<workgroup> q_row: array<f32, HEAD_DIM>;
var<workgroup> red_a: array<f32, WG>;
var<workgroup> red_b: array<f32, WG>;
var<workgroup> tile_ds: array<f32, WG>;

fn q_offset(b: u32, r: u32, h: u32) -> u32 {
  return ((b * p.rows + r) * p.q_heads + h) * HEAD_DIM;
}

fn k_offset(b: u32, j: u32, hk: u32) -> u32 {
  return ((b * p.seq + j) * p.kv_heads + hk) * HEAD_DIM;
}

// Index of (b, h, r) in lse, and times T the start of its row in probs, dprobs and ds.
fn row_index(b: u32, h: u32, r: u32) -> u32 {
  return (b * p.q_heads + h) * p.rows + r;
}

fn kv_head(h: u32) -> u32 {
  return h / (p.q_heads / p.kv_heads);
}

// The last key the chosen row sees plus one: 0 for a row outside [0, T), so every key is invisible.
fn key_end(b: u32, r: u32) -> u32 {
  let row = rows_in[b * p.rows + r];
  return select(0u, u32(row) + 1u, row >= 0 && u32(row) < p.seq);
}

// The first key the chosen row sees: end - window under a sliding window, else 0.
fn key_begin(end: u32) -> u32 {
  return select(0u, end - p.window, p.window != 0u && end > p.window);
}

fn visible(b: u32, j: u32, begin: u32, end: u32) -> bool {
  return j >= begin && j < end && mask_in[b * p.seq + j] != 0u;
}

// The workgroup's copy of the row's query, which every invocation dots with its keys.
fn load_q_row(b: u32, r: u32, h: u32, lid: u32) {
  let q0 = q_offset(b, r, h);
  for (var d = lid; d < HEAD_DIM; d += WG) { q_row[d] = q_in[q0 + d]; }
  workgroupBarrier();
}

fn score(b: u32, j: u32, hk: u32) -> f32 {
  let k0 = k_offset(b, j, hk);
  var dot = 0.0;
  for (var d = 0u; d < HEAD_DIM; d++) { dot += q_row[d] * k_in[k0 + d]; }
  return dot * p.scale;
}

fn reduce_sum(x: f32, lid: u32) -> f32 {
  red_a[lid] = x;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) { red_a[lid] += red_a[lid + stride]; }
    workgroupBarrier();
  }
  let total = red_a[0];
  // No invocation may overwrite red_a (a later reduction) before all have read the total.
  workgroupBarrier();
  return total;
}

// Forward: scores, then lse by an online max and sum (rescaled whenever the maximum grows, so no exp
// sees a positive argument), then probabilities. The scores wait in the probabilities' own slots,
// each read back by the invocation that wrote it.
@compute @workgroup_size(WG)
fn loss_row_probs(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let h = wid.y;
  let b = wid.z;
  let hk = kv_head(h);
  let end = key_end(b, r);
  let begin = key_begin(end);
  let out0 = row_index(b, h, r) * p.seq;
  load_q_row(b, r, h, lid);
  var m = NO_SCORE;
  var l = 0.0;
  for (var j = begin + lid; j < end; j += WG) {
    if (visible(b, j, begin, end)) {
      let s = score(b, j, hk);
      fw_probs[out0 + j] = s;
      if (s > m) {
        l = l * exp(m - s) + 1.0;
        m = s;
      } else {
        l += exp(s - m);
      }
    }
  }
  red_a[lid] = m;
  red_b[lid] = l;
  workgroupBarrier();
  for (var stride = WG / 2u; stride > 0u; stride >>= 1u) {
    if (lid < stride) {
      let m2 = red_a[lid + stride];
      let mm = max(m, m2);
      l = l * exp(m - mm) + red_b[lid + stride] * exp(m2 - mm);
      m = mm;
      red_a[lid] = m;
      red_b[lid] = l;
    }
    workgroupBarrier();
  }
  let row_sum = red_b[0];
  let lse = select(0.0, red_a[0] + log(row_sum), row_sum > 0.0);
  for (var j = lid; j < p.seq; j += WG) {
    var prob = 0.0;
    if (visible(b, j, begin, end)) { prob = exp(fw_probs[out0 + j] - lse); }
    fw_probs[out0 + j] = prob;
  }
  if (lid == 0u) { fw_lse[row_index(b, h, r)] = lse; }
}

// Backward, per (row, head, sequence): probabilities P_j recomputed from the saved lse,
// delta = sum_j P_j G_j, ds_j = P_j (G_j - delta), dq = scale sum_j ds_j k_j. ds is kept for the dk
// pass, which sums it over the rows and the heads of each kv head. Keys are taken WG at a time so
// that the dq sum runs over the head dimension instead, reading each key row once and contiguously.
@compute @workgroup_size(WG)
fn loss_row_probs_backward_dq(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let r = wid.x;
  let h = wid.y;
  let b = wid.z;
  let hk = kv_head(h);
  let end = key_end(b, r);
  let begin = key_begin(end);
  let row0 = row_index(b, h, r) * p.seq;
  let lse = bw_lse[row_index(b, h, r)];
  load_q_row(b, r, h, lid);
  var delta_part = 0.0;
  for (var j = lid; j < p.seq; j += WG) {
    var prob = 0.0;
    if (visible(b, j, begin, end)) { prob = exp(score(b, j, hk) - lse); }
    // P_j waits in ds's slot until delta is known; the same invocation reads it back below.
    bw_ds[row0 + j] = prob;
    delta_part += prob * bw_dprobs[row0 + j];
  }
  let delta = reduce_sum(delta_part, lid);
  var dq: array<f32, DIMS_PER_INVOCATION>;
  for (var s = 0u; s < DIMS_PER_INVOCATION; s++) { dq[s] = 0.0; }
  for (var j0 = 0u; j0 < p.seq; j0 += WG) {
    let j = j0 + lid;
    var ds = 0.0;
    if (j < p.seq) {
      ds = bw_ds[row0 + j] * (bw_dprobs[row0 + j] - delta);
      bw_ds[row0 + j] = ds;
    }
    tile_ds[lid] = ds;
    workgroupBarrier();
    // Keys from `end` on have ds 0.
    let n = min(WG, max(end, j0) - j0);
    for (var s = 0u; s < DIMS_PER_INVOCATION; s++) {
      let d = lid + s * WG;
      if (d < HEAD_DIM) {
        for (var t = 0u; t < n; t++) { dq[s] += tile_ds[t] * k_in[k_offset(b, j0 + t, hk) + d]; }
      }
    }
    workgroupBarrier();
  }
  let q0 = q_offset(b, r, h);
  for (var s = 0u; s < DIMS_PER_INVOCATION; s++) {
    let d = lid + s * WG;
    if (d < HEAD_DIM) { bw_dq[q0 + d] = dq[s] * p.scale; }
  }
}

// Backward, dk = scale sum over the chosen rows and the query heads of each kv head of ds_j q:
// one invocation per element of dk, so the sum needs no atomics. Keys no chosen row sees get 0.
@compute @workgroup_size(WG)
fn loss_row_probs_backward_dk(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = gid.x + gid.y * nwg.x * WG;
  if (n >= p.batch * p.seq * p.kv_heads * HEAD_DIM) { return; }
  let d = n % HEAD_DIM;
  let hk = (n / HEAD_DIM) % p.kv_heads;
  let j = (n / (HEAD_DIM * p.kv_heads)) % p.seq;
  let b = n / (HEAD_DIM * p.kv_heads * p.seq);
  let group = p.q_heads / p.kv_heads;
  var dk = 0.0;
  for (var gh = 0u; gh < group; gh++) {
    let h = hk * group + gh;
    for (var r = 0u; r < p.rows; r++) {
      dk += dk_ds[row_index(b, h, r) * p.seq + j] * q_in[q_offset(b, r, h) + d];
    }
  }
  dk_out[n] = dk * p.scale;
}
