import { describe, expect, it } from 'vitest';
import { executedWork, matmulLabelFlops } from './executed';

describe('executed work from kernel labels', () => {
  it('reads batch x [M x K x N] from matmul labels, transposes and element types included', () => {
    expect(matmulLabelFlops('matmul_bias 128x768x2304')).toBe(2 * 128 * 768 * 2304);
    expect(matmulLabelFlops('matmul 12x[128x64x128] Bᵀ')).toBe(2 * 12 * 128 * 64 * 128);
    expect(matmulLabelFlops('matmul_f32_f16 1x768x3 Aᵀ')).toBe(2 * 768 * 3);
    expect(matmulLabelFlops('attention_forward')).toBeNull();
  });

  it('sums launches of every kernel and FLOPs of the matmuls', () => {
    const w = executedWork([
      { name: 'matmul 2x3x4', launches: 3, totalMs: 1 },
      { name: 'gelu_forward', launches: 5, totalMs: 1 },
    ]);
    expect(w).toEqual({ launches: 8, matmulFlops: 3 * 2 * 2 * 3 * 4 });
  });
});
