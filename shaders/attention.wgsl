// Fused causal self-attention with key padding masks and grouped-query attention (GQA), forward and
// backward, flash-attention style: no T x T matrix is ever stored. Layouts: q, out [B, T, Hq, D];
// k, v [B, T, Hkv, D]; lse [B, Hq, T]. Query head h reads kv head h / (Hq / Hkv). Query i sees key j
// when j <= i, key j is not padding and, under a sliding window (window > 0, Gemma's local layers),
// i - j < window: the query and the window - 1 keys before it.
//
// The row kernels run one invocation per query (or key) row, keeping that row's vectors in
// registers, while the workgroup streams tiles of the other side through workgroup memory.

const HEAD_DIM: u32 = 64u;
// Rows per tile; the host sizes it so two f32 tiles of TILE x HEAD_DIM plus four scalars per row fit 16 KiB.
const TILE: u32 = 31u;
const WG: u32 = 64u;
// Below any real score, and finite: WGSL implementations may assume no infinities exist.
const NO_SCORE: f32 = -3.0e38;

struct Params {
  batch: u32,
  seq: u32,
  q_heads: u32,
  kv_heads: u32,
  rows: u32,
  scale: f32,
  has_dout: u32,
  // attention_probs only: how many heads it returns, and whether pr_heads lists them (else 0..n-1).
  out_heads: u32,
  head_list: u32,
  // Keys a query sees at most, itself included; 0 = all earlier keys (full causal attention).
  window: u32,
}
@group(0) @binding(0) var<uniform> p: Params;

// Shared by the forward and both gradient passes.
@group(0) @binding(1) var<storage, read> q_in: array<f32>;
@group(0) @binding(2) var<storage, read> k_in: array<f32>;
@group(0) @binding(3) var<storage, read> v_in: array<f32>;

// Forward
@group(0) @binding(4) var<storage, read> fw_mask: array<u32>;
@group(0) @binding(5) var<storage, read_write> fw_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> fw_lse: array<f32>;

// Probabilities of chosen rows
@group(0) @binding(3) var<storage, read> pr_lse: array<f32>;
@group(0) @binding(4) var<storage, read> pr_mask: array<u32>;
@group(0) @binding(5) var<storage, read> pr_rows: array<i32>;
@group(0) @binding(6) var<storage, read_write> pr_probs: array<f32>;
@group(0) @binding(7) var<storage, read> pr_heads: array<i32>;

// Backward, token info: per (b, t) bit 0 = key t is real, bits 1.. = 1 + the first r with rows[b, r] == t
// (0 when t is not a chosen row), so that later passes need one buffer instead of mask and rows.
@group(0) @binding(1) var<storage, read> tk_mask: array<u32>;
@group(0) @binding(2) var<storage, read> tk_rows: array<i32>;
@group(0) @binding(3) var<storage, read_write> tk_tok: array<u32>;

// Backward, probability gradients with repeated rows summed into the first occurrence, so that each
// (query row, key) pair has at most one gradient entry.
@group(0) @binding(1) var<storage, read> mg_rows: array<i32>;
@group(0) @binding(2) var<storage, read> mg_grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> mg_merged: array<f32>;

// Backward, per-row statistics: stats[(b, h, i)] = (lse bits, delta bits, token info), where
// delta_i = sum_j P_ij dP_ij = dO_i . O_i + sum_j P_ij G_ij. Packing keeps every pass within 8 buffers.
@group(0) @binding(3) var<storage, read> st_out: array<f32>;
@group(0) @binding(4) var<storage, read> st_dout: array<f32>;
@group(0) @binding(5) var<storage, read> st_lse: array<f32>;
@group(0) @binding(6) var<storage, read> st_tok: array<u32>;
@group(0) @binding(7) var<storage, read> st_grad: array<f32>;
@group(0) @binding(8) var<storage, read_write> st_stats: array<u32>;

// Backward, dq and dk/dv passes
@group(0) @binding(4) var<storage, read> bw_dout: array<f32>;
@group(0) @binding(5) var<storage, read> bw_stats: array<u32>;
@group(0) @binding(6) var<storage, read> bw_grad: array<f32>;
@group(0) @binding(7) var<storage, read_write> bw_dq: array<f32>;
@group(0) @binding(7) var<storage, read_write> bw_dk: array<f32>;
@group(0) @binding(8) var<storage, read_write> bw_dv: array<f32>;

var<workgroup> tile_a: array<f32, TILE * HEAD_DIM>;
var<workgroup> tile_b: array<f32, TILE * HEAD_DIM>;
var<workgroup> tile_flag: array<u32, TILE>;
var<workgroup> tile_lse: array<f32, TILE>;
var<workgroup> tile_delta: array<f32, TILE>;
var<workgroup> tile_slot: array<u32, TILE>;

fn q_offset(b: u32, i: u32, h: u32) -> u32 {
  return ((b * p.seq + i) * p.q_heads + h) * HEAD_DIM;
}

fn kv_offset(b: u32, j: u32, hk: u32) -> u32 {
  return ((b * p.seq + j) * p.kv_heads + hk) * HEAD_DIM;
}

fn row_index(b: u32, h: u32, i: u32) -> u32 {
  return (b * p.q_heads + h) * p.seq + i;
}

fn grad_offset(b: u32, h: u32, slot: u32) -> u32 {
  return ((b * p.q_heads + h) * p.rows + slot) * p.seq;
}

fn kv_head(h: u32) -> u32 {
  return h / (p.q_heads / p.kv_heads);
}

// The first key query i sees under the sliding window.
fn first_key(i: u32) -> u32 {
  if (p.window == 0u || i < p.window) { return 0u; }
  return i + 1u - p.window;
}

// One past the last query that sees key j under the sliding window.
fn query_end(j: u32) -> u32 {
  if (p.window == 0u) { return p.seq; }
  return min(p.seq, j + p.window);
}

fn flat_index(gid: vec3u, nwg: vec3u) -> u32 {
  return gid.x + gid.y * nwg.x * WG;
}

// Keys j0 .. j0 + TILE - 1 of kv head hk into tile_a (k) and tile_b (v); rows past the end are left stale
// because no invocation reads them.
fn load_kv_tile(b: u32, hk: u32, j0: u32, lid: u32) {
  for (var e = lid; e < TILE * HEAD_DIM; e += WG) {
    let j = j0 + e / HEAD_DIM;
    if (j < p.seq) {
      let src = kv_offset(b, j, hk) + e % HEAD_DIM;
      tile_a[e] = k_in[src];
      tile_b[e] = v_in[src];
    }
  }
}

// Forward: one invocation per query row; online softmax over key tiles, rescaling once per tile.
@compute @workgroup_size(WG)
fn attention_forward(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let hk = kv_head(h);
  let i = wid.x * WG + lid;
  let row_ok = i < p.seq;
  // Invocations past the last row still load tiles for the others, so they read a valid row and write nothing.
  let q0 = q_offset(b, min(i, p.seq - 1u), h);
  var q: array<f32, HEAD_DIM>;
  var acc: array<f32, HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) {
    q[d] = q_in[q0 + d] * p.scale;
    acc[d] = 0.0;
  }
  var m = NO_SCORE;
  var l = 0.0;
  // Keys after the workgroup's last query are invisible to all of its rows, and so are keys before
  // the window of its first query.
  let key_end = min(p.seq, (wid.x + 1u) * WG);
  let key_begin = first_key(wid.x * WG) / TILE * TILE;
  let lo = first_key(i);
  for (var j0 = key_begin; j0 < key_end; j0 += TILE) {
    load_kv_tile(b, hk, j0, lid);
    for (var t = lid; t < TILE; t += WG) {
      tile_flag[t] = 0u;
      if (j0 + t < p.seq) { tile_flag[t] = fw_mask[b * p.seq + j0 + t]; }
    }
    workgroupBarrier();
    if (row_ok && j0 <= i) {
      let n = min(TILE, i + 1u - j0);
      var s: array<f32, TILE>;
      var tile_max = NO_SCORE;
      for (var t = 0u; t < n; t++) {
        if (tile_flag[t] != 0u && j0 + t >= lo) {
          var dot = 0.0;
          for (var d = 0u; d < HEAD_DIM; d++) { dot += q[d] * tile_a[t * HEAD_DIM + d]; }
          s[t] = dot;
          tile_max = max(tile_max, dot);
        }
      }
      if (tile_max > NO_SCORE) {
        let m_new = max(m, tile_max);
        let correction = exp(m - m_new);
        l *= correction;
        for (var d = 0u; d < HEAD_DIM; d++) { acc[d] *= correction; }
        for (var t = 0u; t < n; t++) {
          if (tile_flag[t] != 0u && j0 + t >= lo) {
            let pt = exp(s[t] - m_new);
            l += pt;
            for (var d = 0u; d < HEAD_DIM; d++) { acc[d] += pt * tile_b[t * HEAD_DIM + d]; }
          }
        }
        m = m_new;
      }
    }
    workgroupBarrier();
  }
  if (row_ok) {
    // A row that sees no key (a left-padding query) outputs 0 with lse 0; no probability ever reads that lse.
    var inv = 0.0;
    var lse = 0.0;
    if (l > 0.0) {
      inv = 1.0 / l;
      lse = m + log(l);
    }
    let o0 = q_offset(b, i, h);
    for (var d = 0u; d < HEAD_DIM; d++) { fw_out[o0 + d] = acc[d] * inv; }
    fw_lse[row_index(b, h, i)] = lse;
  }
}

// Probabilities of chosen rows: one invocation per (b, h, r, j). A row outside [0, T) gives zeros.
@compute @workgroup_size(WG)
fn attention_probs(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = flat_index(gid, nwg);
  if (n >= p.batch * p.out_heads * p.rows * p.seq) { return; }
  let j = n % p.seq;
  let r = (n / p.seq) % p.rows;
  let slot = (n / (p.seq * p.rows)) % p.out_heads;
  let b = n / (p.seq * p.rows * p.out_heads);
  let h = select(slot, u32(pr_heads[slot]), p.head_list != 0u);
  let row = pr_rows[b * p.rows + r];
  var prob = 0.0;
  if (h < p.q_heads && row >= 0 && u32(row) < p.seq && j <= u32(row) && j >= first_key(u32(row)) && pr_mask[b * p.seq + j] != 0u) {
    let i = u32(row);
    let q0 = q_offset(b, i, h);
    let k0 = kv_offset(b, j, kv_head(h));
    var dot = 0.0;
    for (var d = 0u; d < HEAD_DIM; d++) { dot += q_in[q0 + d] * k_in[k0 + d]; }
    prob = exp(dot * p.scale - pr_lse[row_index(b, h, i)]);
  }
  pr_probs[n] = prob;
}

// One invocation per (b, t).
@compute @workgroup_size(WG)
fn attention_token_info(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = flat_index(gid, nwg);
  if (n >= p.batch * p.seq) { return; }
  let b = n / p.seq;
  let t = i32(n % p.seq);
  var slot = 0u;
  for (var r = 0u; r < p.rows && slot == 0u; r++) {
    if (tk_rows[b * p.rows + r] == t) { slot = r + 1u; }
  }
  tk_tok[n] = (slot << 1u) | select(0u, 1u, tk_mask[n] != 0u);
}

// One invocation per (b, h, r, j).
@compute @workgroup_size(WG)
fn attention_merge_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let n = flat_index(gid, nwg);
  if (n >= p.batch * p.q_heads * p.rows * p.seq) { return; }
  let j = n % p.seq;
  let r = (n / p.seq) % p.rows;
  let bh = n / (p.seq * p.rows);
  let b = bh / p.q_heads;
  let row = mg_rows[b * p.rows + r];
  var first = true;
  for (var r2 = 0u; r2 < r; r2++) {
    if (mg_rows[b * p.rows + r2] == row) { first = false; }
  }
  var sum = 0.0;
  if (first) {
    for (var r2 = r; r2 < p.rows; r2++) {
      if (mg_rows[b * p.rows + r2] == row) { sum += mg_grad[(bh * p.rows + r2) * p.seq + j]; }
    }
  }
  mg_merged[n] = sum;
}

// Row statistics: one invocation per (b, h, i) on a [ceil(T / WG), Hq, B] grid.
@compute @workgroup_size(WG)
fn attention_backward_stats(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let i = wid.x * WG + lid;
  if (i >= p.seq) { return; }
  let tok = st_tok[b * p.seq + i];
  let lse = st_lse[row_index(b, h, i)];
  let q0 = q_offset(b, i, h);
  var delta = 0.0;
  if (p.has_dout != 0u) {
    for (var d = 0u; d < HEAD_DIM; d++) { delta += st_dout[q0 + d] * st_out[q0 + d]; }
  }
  let slot = tok >> 1u;
  if (slot != 0u) {
    let g0 = grad_offset(b, h, slot - 1u);
    let hk = kv_head(h);
    for (var j = first_key(i); j <= i; j++) {
      if ((st_tok[b * p.seq + j] & 1u) != 0u) {
        let k0 = kv_offset(b, j, hk);
        var dot = 0.0;
        for (var d = 0u; d < HEAD_DIM; d++) { dot += q_in[q0 + d] * k_in[k0 + d]; }
        delta += exp(dot * p.scale - lse) * st_grad[g0 + j];
      }
    }
  }
  let s0 = row_index(b, h, i) * 3u;
  st_stats[s0] = bitcast<u32>(lse);
  st_stats[s0 + 1u] = bitcast<u32>(delta);
  st_stats[s0 + 2u] = tok;
}

// dq: one invocation per query row, key tiles streamed as in the forward.
// dS_ij = P_ij (dO_i . v_j + G_ij - delta_i), dq_i = scale sum_j dS_ij k_j.
@compute @workgroup_size(WG)
fn attention_backward_dq(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let h = wid.y;
  let hk = kv_head(h);
  let i = wid.x * WG + lid;
  let row_ok = i < p.seq;
  let ic = min(i, p.seq - 1u);
  let q0 = q_offset(b, ic, h);
  var q: array<f32, HEAD_DIM>;
  var dout: array<f32, HEAD_DIM>;
  var dq: array<f32, HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) {
    q[d] = q_in[q0 + d] * p.scale;
    dout[d] = select(0.0, bw_dout[q0 + d], p.has_dout != 0u);
    dq[d] = 0.0;
  }
  let s0 = row_index(b, h, ic) * 3u;
  let lse = bitcast<f32>(bw_stats[s0]);
  let delta = bitcast<f32>(bw_stats[s0 + 1u]);
  let slot = bw_stats[s0 + 2u] >> 1u;
  let g0 = grad_offset(b, h, max(slot, 1u) - 1u);
  let key_end = min(p.seq, (wid.x + 1u) * WG);
  let key_begin = first_key(wid.x * WG) / TILE * TILE;
  let lo = first_key(ic);
  for (var j0 = key_begin; j0 < key_end; j0 += TILE) {
    load_kv_tile(b, hk, j0, lid);
    for (var t = lid; t < TILE; t += WG) {
      tile_flag[t] = 0u;
      if (j0 + t < p.seq) { tile_flag[t] = bw_stats[row_index(b, h, j0 + t) * 3u + 2u] & 1u; }
    }
    workgroupBarrier();
    if (row_ok && j0 <= i) {
      let n = min(TILE, i + 1u - j0);
      for (var t = 0u; t < n; t++) {
        if (tile_flag[t] != 0u && j0 + t >= lo) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < HEAD_DIM; d++) {
            s += q[d] * tile_a[t * HEAD_DIM + d];
            dp += dout[d] * tile_b[t * HEAD_DIM + d];
          }
          if (slot != 0u) { dp += bw_grad[g0 + j0 + t]; }
          let ds = exp(s - lse) * (dp - delta);
          for (var d = 0u; d < HEAD_DIM; d++) { dq[d] += ds * tile_a[t * HEAD_DIM + d]; }
        }
      }
    }
    workgroupBarrier();
  }
  if (row_ok) {
    for (var d = 0u; d < HEAD_DIM; d++) { bw_dq[q0 + d] = dq[d] * p.scale; }
  }
}

// dk, dv: one invocation per key row of one kv head, looping over every query head of its group and
// every query row that sees it, so the GQA sum over heads needs no atomics.
// dv_j = sum_i P_ij dO_i, dk_j = scale sum_i dS_ij q_i.
@compute @workgroup_size(WG)
fn attention_backward_dkdv(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let b = wid.z;
  let hk = wid.y;
  let group = p.q_heads / p.kv_heads;
  let j = wid.x * WG + lid;
  let jc = min(j, p.seq - 1u);
  let k0 = kv_offset(b, jc, hk);
  var k: array<f32, HEAD_DIM>;
  var v: array<f32, HEAD_DIM>;
  var dk: array<f32, HEAD_DIM>;
  var dv: array<f32, HEAD_DIM>;
  for (var d = 0u; d < HEAD_DIM; d++) {
    k[d] = k_in[k0 + d] * p.scale;
    v[d] = v_in[k0 + d];
    dk[d] = 0.0;
    dv[d] = 0.0;
  }
  let key_real = j < p.seq && (bw_stats[row_index(b, hk * group, jc) * 3u + 2u] & 1u) != 0u;
  // Queries before the block's first key see none of its keys, and under a sliding window neither do
  // queries past the window of its last key.
  let first_query = wid.x * WG;
  let last_query = query_end(min(first_query + WG, p.seq) - 1u);
  let my_query_end = query_end(jc);
  for (var gh = 0u; gh < group; gh++) {
    let h = hk * group + gh;
    for (var i0 = first_query; i0 < last_query; i0 += TILE) {
      for (var e = lid; e < TILE * HEAD_DIM; e += WG) {
        let i = i0 + e / HEAD_DIM;
        if (i < p.seq) {
          let src = q_offset(b, i, h) + e % HEAD_DIM;
          tile_a[e] = q_in[src];
          tile_b[e] = select(0.0, bw_dout[src], p.has_dout != 0u);
        }
      }
      for (var t = lid; t < TILE; t += WG) {
        if (i0 + t < p.seq) {
          let s0 = row_index(b, h, i0 + t) * 3u;
          tile_lse[t] = bitcast<f32>(bw_stats[s0]);
          tile_delta[t] = bitcast<f32>(bw_stats[s0 + 1u]);
          tile_slot[t] = bw_stats[s0 + 2u] >> 1u;
        }
      }
      workgroupBarrier();
      if (key_real) {
        // Row i sees key j only if j <= i < query_end(j); such a row sees at least key j, so its lse is real.
        let t_start = max(j, i0) - i0;
        let t_end = min(TILE, max(my_query_end, i0) - i0);
        for (var t = t_start; t < t_end; t++) {
          var s = 0.0;
          var dp = 0.0;
          for (var d = 0u; d < HEAD_DIM; d++) {
            s += tile_a[t * HEAD_DIM + d] * k[d];
            dp += tile_b[t * HEAD_DIM + d] * v[d];
          }
          let slot = tile_slot[t];
          if (slot != 0u) { dp += bw_grad[grad_offset(b, h, slot - 1u) + j]; }
          let pt = exp(s - tile_lse[t]);
          let ds = pt * (dp - tile_delta[t]);
          for (var d = 0u; d < HEAD_DIM; d++) {
            dv[d] += pt * tile_b[t * HEAD_DIM + d];
            dk[d] += ds * tile_a[t * HEAD_DIM + d];
          }
        }
      }
      workgroupBarrier();
    }
  }
  if (j < p.seq) {
    for (var d = 0u; d < HEAD_DIM; d++) {
      bw_dk[k0 + d] = dk[d] * p.scale;
      bw_dv[k0 + d] = dv[d];
    }
  }
}
