/**
 * What a profiled step actually ran, from its kernel labels: launches, and the matmul FLOPs executed
 * (every product's label carries its shape, "matmul_bias 128x768x2304" or "matmul 12x[128x64x128] Bᵀ",
 * batch x [M x K x N]). Set against `stepFlops(...).projections` (what the step must do), the
 * difference is work the step does but does not need; attention and elementwise kernels are not counted.
 */
import type { KernelTiming } from '../engine/profiler';

const MATMUL_SHAPE = /^matmul\S* (?:(\d+)x\[)?(\d+)x(\d+)x(\d+)\]?/;

/** 2 * batch * M * K * N of one launch of a matmul label; null for any other kernel. */
export function matmulLabelFlops(label: string): number | null {
  const m = MATMUL_SHAPE.exec(label);
  if (!m) return null;
  const [batch, M, K, N] = [m[1] ?? '1', m[2], m[3], m[4]].map(Number);
  return 2 * batch * M * K * N;
}

export interface ExecutedWork {
  readonly launches: number;
  readonly matmulFlops: number;
}

export function executedWork(kernels: readonly KernelTiming[]): ExecutedWork {
  let launches = 0;
  let matmulFlops = 0;
  for (const k of kernels) {
    launches += k.launches;
    matmulFlops += (matmulLabelFlops(k.name) ?? 0) * k.launches;
  }
  return { launches, matmulFlops };
}
