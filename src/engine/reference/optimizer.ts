/**
 * Float64 references for shaders/optimizer.wgsl, written as PyTorch's single-tensor loops in
 * torch/optim/adam.py, adamw.py and sgd.py (amsgrad off, dampening 0, maximize off) and
 * torch.nn.utils.clip_grad_norm_. Pure: they return new arrays.
 */
import type { AdamHyperparams, SgdHyperparams } from '../ops/optimizer';

export function adamStepRef(
  param: ArrayLike<number>,
  grad: ArrayLike<number>,
  m: ArrayLike<number>,
  v: ArrayLike<number>,
  hp: AdamHyperparams,
): { param: Float64Array; m: Float64Array; v: Float64Array } {
  const n = param.length;
  const out = { param: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
  const bc1 = 1 - hp.beta1 ** hp.step;
  const bc2Sqrt = Math.sqrt(1 - hp.beta2 ** hp.step);
  for (let i = 0; i < n; i++) {
    let p = param[i];
    let g = grad[i] * (hp.gradScale ?? 1);
    if (hp.decoupledWeightDecay) p *= 1 - hp.lr * hp.weightDecay;
    else g += hp.weightDecay * p;
    const mi = m[i] + (1 - hp.beta1) * (g - m[i]);
    const vi = hp.beta2 * v[i] + (1 - hp.beta2) * g * g;
    out.m[i] = mi;
    out.v[i] = vi;
    out.param[i] = p - (hp.lr / bc1) * (mi / (Math.sqrt(vi) / bc2Sqrt + hp.eps));
  }
  return out;
}

/** `buf` null is PyTorch's state before the first momentum step (the buffer is then a copy of g). */
export function sgdStepRef(
  param: ArrayLike<number>,
  grad: ArrayLike<number>,
  buf: ArrayLike<number> | null,
  hp: SgdHyperparams,
): { param: Float64Array; buf: Float64Array | null } {
  const n = param.length;
  const outParam = new Float64Array(n);
  const outBuf = hp.momentum !== 0 ? new Float64Array(n) : null;
  for (let i = 0; i < n; i++) {
    let g = grad[i] * (hp.gradScale ?? 1) + hp.weightDecay * param[i];
    if (outBuf) {
      const b = buf ? hp.momentum * buf[i] + g : g;
      outBuf[i] = b;
      g = hp.nesterov ? g + hp.momentum * b : b;
    }
    outParam[i] = param[i] - hp.lr * g;
  }
  return { param: outParam, buf: outBuf };
}

export function clipGradNormRef(grads: readonly ArrayLike<number>[], maxNorm: number): { norm: number; grads: Float64Array[] } {
  let sumsq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sumsq += g[i] * g[i];
  const norm = Math.sqrt(sumsq);
  const coef = Math.min(1, maxNorm / (norm + 1e-6));
  return { norm, grads: grads.map((g) => Float64Array.from(g, (x) => x * coef)) };
}
