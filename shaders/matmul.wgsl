// Batched matrix product C = alpha * op(A) op(B) (+ bias[n]) (+ C when accumulating), where op()
// transposes or not. Only the tiling is compile-time: transposition, accumulation and batch
// reduction are uniform flags, which cost one uniform branch per staged element or output, and
// spare a pipeline compilation per combination. Each workgroup computes a TM x TN tile of C, staging
// TK-deep slices of A and B through workgroup memory; each invocation keeps an RM x RN block of C in
// registers. Rows and columns of an invocation's block are interleaved with stride WG_Y / WG_X so
// that neighbouring invocations touch neighbouring words of workgroup memory (no bank conflicts) and
// of C (coalesced stores). Nothing assumes M, N or K are multiples of a tile: loads and stores are
// bounds-checked, out-of-range elements read as zero.

const TM: u32 = 64u;
const TN: u32 = 64u;
const TK: u32 = 16u;
const RM: u32 = 4u;
const RN: u32 = 4u;

// Operand element types; the f16-weight variant rewrites these two lines and enables f16.
alias AElement = f32;
alias BElement = f32;

const WG_X: u32 = TN / RN;
const WG_Y: u32 = TM / RM;
const THREADS: u32 = WG_X * WG_Y;

// strideA / strideB: elements between consecutive batches, 0 for an operand shared by all batches.
// reduceBatch sums the products of all batches into one [M, N] result (the gradient of a shared
// operand); flags are 0 or 1.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  batch: u32,
  strideA: u32,
  strideB: u32,
  alpha: f32,
  transA: u32,
  transB: u32,
  accumulate: u32,
  reduceBatch: u32,
}
@group(0) @binding(0) var<uniform> p: Params;

@group(0) @binding(1) var<storage, read> a: array<AElement>;
@group(0) @binding(2) var<storage, read> b: array<BElement>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

// k-major, so the inner product loop reads a row of each tile.
var<workgroup> tileA: array<f32, TK * TM>;
var<workgroup> tileB: array<f32, TK * TN>;

// A is [M, K] (or [K, M] when transposed); the index walks the contiguous dimension fastest so that
// neighbouring invocations load neighbouring addresses.
fn load_a(offset: u32, m0: u32, k0: u32, lidx: u32) {
  for (var l = lidx; l < TM * TK; l += THREADS) {
    var mm: u32;
    var kk: u32;
    if (p.transA != 0u) { mm = l % TM; kk = l / TM; } else { kk = l % TK; mm = l / TK; }
    let gm = m0 + mm;
    let gk = k0 + kk;
    var v = 0.0;
    if (gm < p.m && gk < p.k) {
      if (p.transA != 0u) { v = f32(a[offset + gk * p.m + gm]); } else { v = f32(a[offset + gm * p.k + gk]); }
    }
    tileA[kk * TM + mm] = v;
  }
}

// B is [K, N] (or [N, K] when transposed, the nn.Linear weight layout).
fn load_b(offset: u32, n0: u32, k0: u32, lidx: u32) {
  for (var l = lidx; l < TN * TK; l += THREADS) {
    var nn: u32;
    var kk: u32;
    if (p.transB != 0u) { kk = l % TK; nn = l / TK; } else { nn = l % TN; kk = l / TN; }
    let gn = n0 + nn;
    let gk = k0 + kk;
    var v = 0.0;
    if (gn < p.n && gk < p.k) {
      if (p.transB != 0u) { v = f32(b[offset + gn * p.k + gk]); } else { v = f32(b[offset + gk * p.n + gn]); }
    }
    tileB[kk * TN + nn] = v;
  }
}

fn tile_product(wid: vec3u, lid: vec3u) -> array<f32, RM * RN> {
  let m0 = wid.y * TM;
  let n0 = wid.x * TN;
  let lidx = lid.y * WG_X + lid.x;
  var acc: array<f32, RM * RN>;
  var ra: array<f32, RM>;
  var rb: array<f32, RN>;
  let reduce = p.reduceBatch != 0u;
  let first = select(wid.z, 0u, reduce);
  let last = select(wid.z + 1u, p.batch, reduce);
  for (var batch = first; batch < last; batch++) {
    let offA = batch * p.strideA;
    let offB = batch * p.strideB;
    for (var k0 = 0u; k0 < p.k; k0 += TK) {
      load_a(offA, m0, k0, lidx);
      load_b(offB, n0, k0, lidx);
      workgroupBarrier();
      for (var kk = 0u; kk < TK; kk++) {
        for (var i = 0u; i < RM; i++) { ra[i] = tileA[kk * TM + lid.y + i * WG_Y]; }
        for (var j = 0u; j < RN; j++) { rb[j] = tileB[kk * TN + lid.x + j * WG_X]; }
        for (var i = 0u; i < RM; i++) {
          for (var j = 0u; j < RN; j++) { acc[i * RN + j] += ra[i] * rb[j]; }
        }
      }
      workgroupBarrier();
    }
  }
  return acc;
}

fn store(acc: array<f32, RM * RN>, colBias: array<f32, RN>, wid: vec3u, lid: vec3u) {
  let base = select(wid.z, 0u, p.reduceBatch != 0u) * p.m * p.n;
  for (var i = 0u; i < RM; i++) {
    let row = wid.y * TM + lid.y + i * WG_Y;
    if (row >= p.m) { break; }
    for (var j = 0u; j < RN; j++) {
      let col = wid.x * TN + lid.x + j * WG_X;
      if (col >= p.n) { break; }
      let idx = base + row * p.n + col;
      var v = p.alpha * acc[i * RN + j] + colBias[j];
      if (p.accumulate != 0u) { v += c[idx]; }
      c[idx] = v;
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tile_product(wid, lid);
  store(acc, array<f32, RN>(), wid, lid);
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_bias(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tile_product(wid, lid);
  var colBias: array<f32, RN>;
  for (var j = 0u; j < RN; j++) {
    let col = wid.x * TN + lid.x + j * WG_X;
    if (col < p.n) { colBias[j] = bias[col]; }
  }
  store(acc, colBias, wid, lid);
}
