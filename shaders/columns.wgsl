// dst[r, dstFirst + c] = src[r, srcFirst + c] for r < rows, c < width: a block of columns copied
// between two row-major matrices. Joins the logits of a vocabulary split into chunks into one
// [rows, V] matrix, and cuts a chunk's columns back out of dLogits in the backward pass.

const WG: u32 = 256u;

struct Params { rows: u32, width: u32, srcCols: u32, srcFirst: u32, dstCols: u32, dstFirst: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(WG)
fn copy_columns(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let i = gid.x + gid.y * nwg.x * WG;
  if (i >= p.rows * p.width) { return; }
  let r = i / p.width;
  let c = i % p.width;
  dst[r * p.dstCols + p.dstFirst + c] = src[r * p.srcCols + p.srcFirst + c];
}
