// Reductions: over the last dimension of rows (one workgroup per row, strided loads then a
// workgroup tree), and over the leading rows of a [R, C] matrix (column sums for bias gradients).
// Every sum is taken in a fixed order, so results are deterministic run to run.

// Row reductions. WG is a power of two for the tree. The operation is a uniform rather than a
// constant: one uniform branch per element is cheap next to a pipeline compilation per operation.
const WG: u32 = 256u;
const OP_SUM: u32 = 0u;
const OP_MAX: u32 = 1u;
const OP_MEAN: u32 = 2u;

struct RowParams { rows: u32, n: u32, op: u32 }
@group(0) @binding(0) var<uniform> rp: RowParams;
@group(0) @binding(1) var<storage, read> rx: array<f32>;
@group(0) @binding(2) var<storage, read_write> ry: array<f32>;

var<workgroup> rowPartial: array<f32, WG>;

fn combine(x: f32, y: f32) -> f32 {
  if (rp.op == OP_MAX) { return max(x, y); }
  return x + y;
}

@compute @workgroup_size(WG)
fn reduce_rows(@builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) nwg: vec3u, @builtin(local_invocation_index) lidx: u32) {
  let row = wid.x + wid.y * nwg.x;
  if (row >= rp.rows) { return; }
  let base = row * rp.n;
  // Max starts from an element of the row rather than -inf, which WGSL cannot spell; repeats are harmless.
  var acc = 0.0;
  if (rp.op == OP_MAX) { acc = rx[base + min(lidx, rp.n - 1u)]; }
  for (var i = lidx; i < rp.n; i += WG) { acc = combine(acc, rx[base + i]); }
  rowPartial[lidx] = acc;
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s >>= 1u) {
    if (lidx < s) { rowPartial[lidx] = combine(rowPartial[lidx], rowPartial[lidx + s]); }
    workgroupBarrier();
  }
  if (lidx == 0u) {
    var v = rowPartial[0];
    if (rp.op == OP_MEAN) { v /= f32(rp.n); }
    ry[row] = v;
  }
}

// Column sums of [rows, cols]: workgroup (x, y) sums columns x * COL_X .. + COL_X over the rows of
// chunk y, COL_Y lanes per column each taking every COL_Y-th row, into partial[y, col]. Run once
// over the input and, when there are several chunks, once more over the [chunks, cols] partials.
const COL_X: u32 = 64u;
const COL_Y: u32 = 4u;

struct ColParams { rows: u32, cols: u32, rowsPerChunk: u32 }
@group(0) @binding(0) var<uniform> cp: ColParams;
@group(0) @binding(1) var<storage, read> cx: array<f32>;
@group(0) @binding(2) var<storage, read_write> cy: array<f32>;

var<workgroup> colPartial: array<f32, COL_X * COL_Y>;

@compute @workgroup_size(COL_X, COL_Y)
fn sum_columns(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let col = wid.x * COL_X + lid.x;
  let start = wid.y * cp.rowsPerChunk;
  let end = min(cp.rows, start + cp.rowsPerChunk);
  var acc = 0.0;
  if (col < cp.cols) {
    for (var r = start + lid.y; r < end; r += COL_Y) { acc += cx[r * cp.cols + col]; }
  }
  colPartial[lid.y * COL_X + lid.x] = acc;
  workgroupBarrier();
  if (lid.y == 0u && col < cp.cols) {
    var s = colPartial[lid.x];
    for (var y = 1u; y < COL_Y; y++) { s += colPartial[y * COL_X + lid.x]; }
    cy[wid.y * cp.cols + col] = s;
  }
}
