// Row gather y[t, :] = table[ids[t] - first, :] and its gradient, a scatter-add of dy rows into dTable.
// The table holds rows [first, first + V) of a vocabulary (first = 0 unless the vocabulary is split
// into chunks that each fit one binding). An id outside them reads as a zero row, or leaves y's row
// as it is with keep = 1 (the next chunk's gather then fills it); its gradient is dropped (the table
// has no row to take it). The CPU validates ids before upload, this only keeps a bad id from
// reading out of bounds.
//
// The backward pass is deterministic without float atomics: invocation (c, block) owns column c of
// the vocab rows [block * p.block, (block + 1) * p.block) and walks all N ids in token order, adding
// dy[t, c] where ids[t] falls in its rows. Repeated ids therefore sum in a fixed order. Cost: every
// invocation reads all N ids (one broadcast load per workgroup) for N * C adds in all, and its
// serial chain is N long; the vocab blocks exist only to give the GPU C * blocks invocations.

const WG: u32 = 256u;
const WG_SCATTER: u32 = 64u;

// scale multiplies the gathered rows and so their gradients: sqrt(hidden_size) for Gemma, else 1.
struct GatherParams { n: u32, C: u32, V: u32, first: i32, keep: u32, scale: f32 }
struct ScatterParams { N: u32, C: u32, V: u32, block: u32, scale: f32, first: i32 }
@group(0) @binding(0) var<uniform> gp: GatherParams;
@group(0) @binding(0) var<uniform> sp: ScatterParams;

// embedding_forward
@group(0) @binding(1) var<storage, read> f_table: array<f32>;
@group(0) @binding(2) var<storage, read> f_ids: array<i32>;
@group(0) @binding(3) var<storage, read_write> f_y: array<f32>;

// embedding_backward: adds into b_table (rows [first, first + V) of the vocabulary), which the caller clears or keeps
@group(0) @binding(1) var<storage, read> b_ids: array<i32>;
@group(0) @binding(2) var<storage, read> b_dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> b_table: array<f32>;

@compute @workgroup_size(WG)
fn embedding_forward(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= gp.n) { return; }
  let c = i % gp.C;
  let id = f_ids[i / gp.C] - gp.first;
  if (id >= 0 && u32(id) < gp.V) {
    f_y[i] = f_table[u32(id) * gp.C + c] * gp.scale;
  } else if (gp.keep == 0u) {
    f_y[i] = 0.0;
  }
}

@compute @workgroup_size(WG_SCATTER)
fn embedding_backward(@builtin(global_invocation_id) gid: vec3u) {
  let c = gid.x;
  if (c >= sp.C) { return; }
  let lo = gid.y * sp.block;
  let hi = min(lo + sp.block, sp.V);
  for (var t = 0u; t < sp.N; t++) {
    let id = b_ids[t] - sp.first;
    if (id >= 0 && u32(id) >= lo && u32(id) < hi) {
      b_table[u32(id) * sp.C + c] += b_dy[t * sp.C + c] * sp.scale;
    }
  }
}
