// Finds NaN and infinities in a tensor, for the optimizer's gate on a bad step and the check of a
// model's weights at load. Elements are tested by their exponent bits (all ones: NaN or ±Inf): WGSL
// lets a compiler assume floats are finite and fold isNan-style comparisons away. The data is bound
// as raw 32-bit words, so f16 tensors (two elements a word) need no shader-f16.

const WG: u32 = 256u;
// Consecutive words each invocation reads (set by finite.ts): on a software adapter (lavapipe) a
// one-word invocation is mostly bookkeeping, and 8 made the check of GPT-2 124M's weights 3-4x faster there.
const PER: u32 = 8u;
// f16 storage: each word holds elements 2w (low half) and 2w + 1 (high half).
const HALF: bool = false;

struct Params { n: u32, slot: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> words: array<u32>;
// found[slot] = max over the non-finite elements i of n - i: 0 while every element is finite (what
// adam_step_gated reads as "apply"), else n minus the index of the first non-finite element.
@group(0) @binding(2) var<storage, read_write> found: array<atomic<u32>>;

@compute @workgroup_size(WG)
fn first_non_finite(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) nwg: vec3u) {
  let first = (gid.x + gid.y * nwg.x * WG) * PER;
  let end = min(first + PER, select(p.n, (p.n + 1u) / 2u, HALF));
  // The first non-finite element of this invocation's words is the only one it need report.
  for (var w = first; w < end; w++) {
    let bits = words[w];
    if (HALF) {
      if ((bits & 0x7c00u) == 0x7c00u) {
        atomicMax(&found[p.slot], p.n - 2u * w);
        return;
      }
      if (2u * w + 1u < p.n && (bits & 0x7c000000u) == 0x7c000000u) {
        atomicMax(&found[p.slot], p.n - 2u * w - 1u);
        return;
      }
    } else if ((bits & 0x7f800000u) == 0x7f800000u) {
      atomicMax(&found[p.slot], p.n - w);
      return;
    }
  }
}
