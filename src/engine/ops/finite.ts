import source from '../../../shaders/finite.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, type Tensor } from '../tensor';

const WG = 256;
// Words each invocation reads (PER in finite.wgsl).
const PER = 8;

const kernel = defineKernel({ name: 'first_non_finite', source, entryPoint: 'first_non_finite', params: ['n:u32', 'slot:u32'], bindings: ['read', 'write'] });

/**
 * Records, on the GPU, a scan of `t` (f32 or f16) into `found[slot]` (u32, zeroed by the caller): it
 * stays 0 where every element is finite, else becomes t.size - (index of t's first NaN or infinity).
 * Several tensors may share a slot, which then turns nonzero where any of them has one (a gate).
 */
export function markNonFinite(e: Engine, t: Tensor, found: Tensor, slot: number): void {
  const op = 'markNonFinite';
  if (t.dtype !== 'f32' && t.dtype !== 'f16') throw new ShapeError(op, `tensor has dtype ${t.dtype}, expected f32 or f16`);
  expectDType(op, 'found', found, 'u32');
  if (!Number.isInteger(slot) || slot < 0 || slot >= found.size) throw new ShapeError(op, `slot ${slot} is outside found's ${found.size} elements`);
  const half = t.dtype === 'f16';
  const words = half ? Math.ceil(t.size / 2) : t.size;
  e.run(kernel, { constants: { HALF: half, PER }, params: { n: t.size, slot }, tensors: [t, found], workgroups: grid1d(Math.ceil(words / PER), WG) });
}

/**
 * For each tensor (f32 or f16), the index of its first NaN or infinity, or null where it has none:
 * one launch per tensor and one readback for all of them, so a whole model is checked with one wait.
 */
export async function firstNonFinite(e: Engine, tensors: readonly Tensor[]): Promise<(number | null)[]> {
  if (tensors.length === 0) return [];
  const found = e.zeros([tensors.length], 'u32');
  try {
    tensors.forEach((t, i) => markNonFinite(e, t, found, i));
    const values = await e.read(found);
    return tensors.map((t, i) => (values[i] === 0 ? null : t.size - values[i]));
  } finally {
    found.release();
  }
}
