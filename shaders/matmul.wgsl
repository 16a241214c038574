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

// Operand access. matmul.ts swaps each operand's block for one binding an array of 4-vectors when
// the operand's rows have a multiple of 4 elements, so that a quad is one 16-byte load (one bounds
// clamp from the robustness checks instead of four); these are the scalar forms.
// operand a: begin
@group(0) @binding(1) var<storage, read> a: array<AElement>;
fn quad_a(i: u32) -> vec4f { return vec4f(f32(a[i]), f32(a[i + 1u]), f32(a[i + 2u]), f32(a[i + 3u])); }
fn elem_a(i: u32) -> f32 { return f32(a[i]); }
// operand a: end
// operand b: begin
@group(0) @binding(2) var<storage, read> b: array<BElement>;
fn quad_b(i: u32) -> vec4f { return vec4f(f32(b[i]), f32(b[i + 1u]), f32(b[i + 2u]), f32(b[i + 3u])); }
fn elem_b(i: u32) -> f32 { return f32(b[i]); }
// operand b: end
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;
// matmul_bias_gelu_keep: GELU of the output, while c keeps the pre-activation for the backward.
@group(0) @binding(5) var<storage, read_write> act: array<f32>;

// k-major, so the inner product loop reads a row of each tile.
var<workgroup> tileA: array<f32, TK * TM>;
var<workgroup> tileB: array<f32, TK * TN>;

// Tile loads go by quads: each invocation loads 4 elements adjacent along the operand's contiguous
// dimension, with one bounds check and one index computation for all four (the host keeps TM, TN and
// TK multiples of 4). Quads reaching past the matrix's edge (ragged M, N or K) fall back to checking
// each element; out-of-range elements read as zero.

// A is [M, K] (or [K, M] when transposed).
fn load_a(offset: u32, m0: u32, k0: u32, lidx: u32) {
  for (var l = lidx; l < TM * TK / 4u; l += THREADS) {
    if (p.transA != 0u) {
      // Quads along m: A[k][m .. m + 3].
      let mm = (l % (TM / 4u)) * 4u;
      let kk = l / (TM / 4u);
      let gm = m0 + mm;
      let gk = k0 + kk;
      let src = offset + gk * p.m + gm;
      if (gk < p.k && gm + 3u < p.m) {
        let v = quad_a(src);
        for (var w = 0u; w < 4u; w++) { tileA[kk * TM + mm + w] = v[w]; }
      } else {
        for (var w = 0u; w < 4u; w++) {
          var v = 0.0;
          if (gk < p.k && gm + w < p.m) { v = elem_a(src + w); }
          tileA[kk * TM + mm + w] = v;
        }
      }
    } else {
      // Quads along k: A[m][k .. k + 3].
      let kk = (l % (TK / 4u)) * 4u;
      let mm = l / (TK / 4u);
      let gm = m0 + mm;
      let gk = k0 + kk;
      let src = offset + gm * p.k + gk;
      if (gm < p.m && gk + 3u < p.k) {
        let v = quad_a(src);
        for (var w = 0u; w < 4u; w++) { tileA[(kk + w) * TM + mm] = v[w]; }
      } else {
        for (var w = 0u; w < 4u; w++) {
          var v = 0.0;
          if (gm < p.m && gk + w < p.k) { v = elem_a(src + w); }
          tileA[(kk + w) * TM + mm] = v;
        }
      }
    }
  }
}

// B is [K, N] (or [N, K] when transposed, the nn.Linear weight layout).
fn load_b(offset: u32, n0: u32, k0: u32, lidx: u32) {
  for (var l = lidx; l < TN * TK / 4u; l += THREADS) {
    if (p.transB != 0u) {
      // Quads along k: B[n][k .. k + 3].
      let kk = (l % (TK / 4u)) * 4u;
      let nn = l / (TK / 4u);
      let gn = n0 + nn;
      let gk = k0 + kk;
      let src = offset + gn * p.k + gk;
      if (gn < p.n && gk + 3u < p.k) {
        let v = quad_b(src);
        for (var w = 0u; w < 4u; w++) { tileB[(kk + w) * TN + nn] = v[w]; }
      } else {
        for (var w = 0u; w < 4u; w++) {
          var v = 0.0;
          if (gn < p.n && gk + w < p.k) { v = elem_b(src + w); }
          tileB[(kk + w) * TN + nn] = v;
        }
      }
    } else {
      // Quads along n: B[k][n .. n + 3].
      let nn = (l % (TN / 4u)) * 4u;
      let kk = l / (TN / 4u);
      let gn = n0 + nn;
      let gk = k0 + kk;
      let src = offset + gk * p.n + gn;
      if (gk < p.k && gn + 3u < p.n) {
        let v = quad_b(src);
        for (var w = 0u; w < 4u; w++) { tileB[kk * TN + nn + w] = v[w]; }
      } else {
        for (var w = 0u; w < 4u; w++) {
          var v = 0.0;
          if (gk < p.k && gn + w < p.n) { v = elem_b(src + w); }
          tileB[kk * TN + nn + w] = v;
        }
      }
    }
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

// GELU, tanh form (GPT-2's gelu_new), written exactly as shaders/activation.wgsl so that the fused
// epilogue and the separate kernel round alike.
const GELU_C: f32 = 0.7978845608028654; // sqrt(2 / pi)
const GELU_A: f32 = 0.044715;

fn stable_tanh(u: f32) -> f32 {
  let e = exp(-2.0 * abs(u));
  return sign(u) * (1.0 - e) / (1.0 + e);
}

fn gelu(x: f32) -> f32 {
  return 0.5 * x * (1.0 + stable_tanh(GELU_C * (x + GELU_A * x * x * x)));
}

fn column_bias(wid: vec3u, lid: vec3u) -> array<f32, RN> {
  var colBias: array<f32, RN>;
  for (var j = 0u; j < RN; j++) {
    let col = wid.x * TN + lid.x + j * WG_X;
    if (col < p.n) { colBias[j] = bias[col]; }
  }
  return colBias;
}

// Bias + GELU epilogue (GPT-2's c_fc): the activation is computed while the tile is in registers,
// instead of a separate pass that reads the [M, N] pre-activation back and writes it again. Writes
// gelu(v) to c, or with `keep` v to c and gelu(v) to act. No accumulate: nothing adds into an
// activation. Two entry points rather than one flag, since an entry point that so much as mentions
// `act` must be given its binding.
fn epilogue_value(acc: array<f32, RM * RN>, colBias: array<f32, RN>, i: u32, j: u32) -> f32 {
  return p.alpha * acc[i * RN + j] + colBias[j];
}

fn output_index(wid: vec3u, lid: vec3u, i: u32, j: u32) -> vec2u {
  let row = wid.y * TM + lid.y + i * WG_Y;
  let col = wid.x * TN + lid.x + j * WG_X;
  // x: the element's index in c; y: 1 where it is inside the [M, N] result.
  return vec2u(wid.z * p.m * p.n + row * p.n + col, select(0u, 1u, row < p.m && col < p.n));
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_bias_gelu(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tile_product(wid, lid);
  let colBias = column_bias(wid, lid);
  for (var i = 0u; i < RM; i++) {
    for (var j = 0u; j < RN; j++) {
      let at = output_index(wid, lid, i, j);
      if (at.y != 0u) { c[at.x] = gelu(epilogue_value(acc, colBias, i, j)); }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_bias_gelu_keep(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tile_product(wid, lid);
  let colBias = column_bias(wid, lid);
  for (var i = 0u; i < RM; i++) {
    for (var j = 0u; j < RN; j++) {
      let at = output_index(wid, lid, i, j);
      if (at.y != 0u) {
        let v = epilogue_value(acc, colBias, i, j);
        c[at.x] = v;
        act[at.x] = gelu(v);
      }
    }
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn matmul_bias(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let acc = tile_product(wid, lid);
  store(acc, column_bias(wid, lid), wid, lid);
}
