/**
 * Runs each kernel family once on a small random problem and compares it with the float64
 * reference. The app offers it to users to check their GPU and browser, and the browser tests use
 * it to exercise the same kernels in a real Chromium.
 */
import type { Engine } from './engine';
import { geglu, gegluBackward, gelu, geluBackward, swiglu } from './ops/activation';
import { attention, attentionBackward, attentionProbs } from './ops/attention';
import { embedding } from './ops/embedding';
import { lossRowProbs, lossRowProbsBackward } from './ops/loss-row-attention';
import { matmul, matmulBackward } from './ops/matmul';
import { layerNorm, rmsNorm, rmsNormBackward } from './ops/norm';
import { rope, ropeInvFreq } from './ops/rope';
import { gegluBackwardRef, gegluRef, geluBackwardRef, geluRef, swigluRef } from './reference/activation';
import { attentionBackwardRef, attentionProbsRef, attentionRef, type AttentionDims } from './reference/attention';
import { embeddingRef } from './reference/embedding';
import { lossRowProbsBackwardRef, lossRowProbsRef } from './reference/loss-row-attention';
import { matmulBackwardRef, matmulRef } from './reference/matmul';
import { layerNormRef, rmsNormBackwardRef, rmsNormRef } from './reference/norm';
import { ropeRef } from './reference/rope';
import { randomArray } from './random';

export interface SelfCheckResult {
  readonly name: string;
  readonly maxError: number;
  readonly tolerance: number;
  readonly passed: boolean;
  readonly ms: number;
}

interface Check {
  readonly name: string;
  /** Bound on the error relative to the largest expected magnitude; see the op's tests for why. */
  readonly rtol: number;
  run(e: Engine): Promise<{ actual: ArrayLike<number>; expected: ArrayLike<number> }>;
}

const CHECKS: Check[] = [
  {
    name: 'Matmul (batched, bias, sizes off the tile)',
    rtol: 1e-5,
    async run(e) {
      const [a, b, bias] = [randomArray(3 * 37 * 70, 20), randomArray(70 * 65, 21), randomArray(65, 22)];
      const c = matmul(e, e.upload(a, [3, 37, 70]), e.upload(b, [70, 65]), { bias: e.upload(bias, [65]) });
      return { actual: await e.read(c), expected: matmulRef(a, [3, 37, 70], b, [70, 65], { bias }).data };
    },
  },
  {
    name: 'Matmul backward (Linear layout, shared weight)',
    rtol: 1e-5,
    async run(e) {
      const [a, w, dC] = [randomArray(2 * 33 * 40, 23), randomArray(29 * 40, 24), randomArray(2 * 33 * 29, 25)];
      const grads = matmulBackward(e, e.upload(a, [2, 33, 40]), e.upload(w, [29, 40]), e.upload(dC, [2, 33, 29]), { transB: true, needBias: true });
      const ref = matmulBackwardRef(a, [2, 33, 40], w, [29, 40], dC, { transB: true });
      const actual = [...(await e.read(grads.dA!)), ...(await e.read(grads.dB!)), ...(await e.read(grads.dBias!))];
      return { actual, expected: [...ref.dA, ...ref.dB, ...ref.dBias] };
    },
  },
  {
    name: 'GELU forward',
    rtol: 1e-6,
    async run(e) {
      const x = randomArray(257, 1, 5);
      return { actual: await e.read(gelu(e, e.upload(x, [257]))), expected: geluRef(x) };
    },
  },
  {
    name: 'GELU backward',
    rtol: 1e-6,
    async run(e) {
      const [x, dy] = [randomArray(257, 2, 5), randomArray(257, 3)];
      return { actual: await e.read(geluBackward(e, e.upload(x, [257]), e.upload(dy, [257]))), expected: geluBackwardRef(x, dy) };
    },
  },
  {
    name: 'SwiGLU forward',
    rtol: 1e-6,
    async run(e) {
      const [g, u] = [randomArray(300, 4, 5), randomArray(300, 5)];
      return { actual: await e.read(swiglu(e, e.upload(g, [3, 100]), e.upload(u, [3, 100]))), expected: swigluRef(g, u) };
    },
  },
  {
    name: 'GeGLU forward and backward (Gemma)',
    rtol: 1e-6,
    async run(e) {
      const [g, u, dy] = [randomArray(300, 26, 5), randomArray(300, 27), randomArray(300, 28)];
      const [gt, ut] = [e.upload(g, [3, 100]), e.upload(u, [3, 100])];
      const grads = gegluBackward(e, gt, ut, e.upload(dy, [3, 100]));
      const ref = gegluBackwardRef(g, u, dy);
      const actual = [...(await e.read(geglu(e, gt, ut))), ...(await e.read(grads.dGate)), ...(await e.read(grads.dUp))];
      return { actual, expected: [...gegluRef(g, u), ...ref.dGate, ...ref.dUp] };
    },
  },
  {
    name: 'LayerNorm forward',
    rtol: 1e-5,
    async run(e) {
      const [x, w, b] = [randomArray(5 * 77, 6, 3), randomArray(77, 7), randomArray(77, 8)];
      const { y } = layerNorm(e, e.upload(x, [5, 77]), e.upload(w, [77]), e.upload(b, [77]), 1e-5);
      return { actual: await e.read(y), expected: layerNormRef(x, w, b, 1e-5).y };
    },
  },
  {
    name: 'RMSNorm forward',
    rtol: 1e-5,
    async run(e) {
      const [x, w] = [randomArray(5 * 77, 9, 3), randomArray(77, 10)];
      const { y } = rmsNorm(e, e.upload(x, [5, 77]), e.upload(w, [77]), 1e-6);
      return { actual: await e.read(y), expected: rmsNormRef(x, w, 1e-6).y };
    },
  },
  {
    name: "QK-norm with Gemma's (1 + w), forward and backward",
    rtol: 1e-5,
    async run(e) {
      // q [B, T, heads, head_dim] normalized per head with a [head_dim] weight.
      const [x, w, dy] = [randomArray(3 * 4 * 32, 29, 3), randomArray(32, 30, 0.3), randomArray(3 * 4 * 32, 31)];
      const [xt, wt] = [e.upload(x, [1, 3, 4, 32]), e.upload(w, [32])];
      const { y, rstd } = rmsNorm(e, xt, wt, 1e-6, { weightOffset: 1 });
      const { dx } = rmsNormBackward(e, xt, wt, rstd, e.upload(dy, [1, 3, 4, 32]), { weightOffset: 1 });
      const ref = rmsNormRef(x, w, 1e-6, 1);
      const actual = [...(await e.read(y)), ...(await e.read(dx))];
      return { actual, expected: [...ref.y, ...rmsNormBackwardRef(x, w, ref.rstd, dy, 1).dx] };
    },
  },
  {
    name: 'RoPE (rotate-half)',
    rtol: 2e-6,
    async run(e) {
      const [T, H, D] = [9, 2, 16];
      const x = randomArray(T * H * D, 11);
      const positions = Array.from({ length: T }, (_, t) => t * 397 + 3);
      const invFreq = ropeInvFreq(10000, D);
      const y = rope(e, e.upload(x, [1, T, H, D]), e.upload(positions, [1, T], 'i32'), e.upload(invFreq, [D / 2]), { layout: 'half' });
      return { actual: await e.read(y), expected: ropeRef(x, positions, invFreq, { heads: H, headDim: D, layout: 'half' }) };
    },
  },
  {
    name: 'Embedding gather',
    rtol: 0,
    async run(e) {
      const table = randomArray(11 * 13, 12);
      const ids = [3, 0, 10, 3, 7];
      return { actual: await e.read(embedding(e, e.upload(table, [11, 13]), e.upload(ids, [5], 'i32'))), expected: embeddingRef(table, ids, 13) };
    },
  },
  {
    name: 'Embedding gather scaled by sqrt(hidden) (Gemma)',
    // One f32 product per value: half an ulp, with an ulp of margin.
    rtol: 1.2e-7,
    async run(e) {
      const table = randomArray(11 * 13, 32);
      const ids = [3, 0, 10, 3, 7];
      const scale = Math.fround(Math.sqrt(640));
      const y = embedding(e, e.upload(table, [11, 13]), e.upload(ids, [5], 'i32'), { scale });
      return { actual: await e.read(y), expected: embeddingRef(table, ids, 13, scale) };
    },
  },
  ...attentionChecks(0),
  ...attentionChecks(4),
];

/**
 * Causal attention with grouped-query heads and a left-padded sequence: forward, last-row
 * probabilities, backward, and the loss-row kernels of ABFT's last layer; again with a sliding window
 * (Gemma 3's local layers), which reuses the same compiled pipelines.
 */
function attentionChecks(window: number): Check[] {
  const dims: AttentionDims = { B: 2, T: 11, Hq: 4, Hkv: 2, D: 16, window };
  const opts = { window };
  const named = (name: string) => (window ? `${name}, sliding window ${window}` : name);
  const { B, T, Hq, Hkv, D } = dims;
  const q = randomArray(B * T * Hq * D, 13);
  const k = randomArray(B * T * Hkv * D, 14);
  const v = randomArray(B * T * Hkv * D, 15);
  const mask = Array.from({ length: B * T }, (_, i) => (i >= T && i < T + 3 ? 0 : 1));
  const rows = [T - 1, T - 1];
  const dOut = randomArray(B * T * Hq * D, 16);
  const probsGrad = randomArray(B * Hq * T, 17);
  const qRows = randomArray(B * Hq * D, 18);
  const upload = (e: Engine) => ({
    q: e.upload(q, [B, T, Hq, D]),
    k: e.upload(k, [B, T, Hkv, D]),
    v: e.upload(v, [B, T, Hkv, D]),
    keyMask: e.upload(mask, [B, T], 'u32'),
  });
  return [
    {
      name: named('Attention forward (GQA, padding)'),
      rtol: 1e-5,
      async run(e) {
        const t = upload(e);
        const { out } = attention(e, t.q, t.k, t.v, t.keyMask, opts);
        return { actual: await e.read(out), expected: attentionRef(q, k, v, mask, dims).out };
      },
    },
    {
      name: named('Attention last-row probabilities'),
      rtol: 1e-5,
      async run(e) {
        const t = upload(e);
        const { lse } = attention(e, t.q, t.k, t.v, t.keyMask, opts);
        const probs = attentionProbs(e, t.q, t.k, lse, t.keyMask, e.upload(rows, [B, 1], 'i32'), opts);
        return { actual: await e.read(probs), expected: attentionProbsRef(q, k, mask, rows, dims) };
      },
    },
    {
      name: named('Attention backward (dq, dk, dv)'),
      rtol: 2e-5,
      async run(e) {
        const t = upload(e);
        const { out, lse } = attention(e, t.q, t.k, t.v, t.keyMask, opts);
        const grads = attentionBackward(
          e,
          {
          ...t,
          out,
          lse,
          dOut: e.upload(dOut, [B, T, Hq, D]),
          probsGrad: { rows: e.upload(rows, [B, 1], 'i32'), grad: e.upload(probsGrad, [B, Hq, 1, T]) },
          },
          opts,
        );
        const ref = attentionBackwardRef({ q, k, v, keyMask: mask, dOut, probsGrad: { rows, grad: probsGrad } }, dims);
        const actual = [...(await e.read(grads.dq)), ...(await e.read(grads.dk)), ...(await e.read(grads.dv))];
        return { actual, expected: [...ref.dq, ...ref.dk, ...ref.dv] };
      },
    },
    {
      name: named('Loss-row attention (probabilities, dq, dk)'),
      rtol: 2e-5,
      async run(e) {
        const t = upload(e);
        const inputs = { q: e.upload(qRows, [B, 1, Hq, D]), k: t.k, keyMask: t.keyMask, rows: e.upload(rows, [B, 1], 'i32') };
        const { probs, lse } = lossRowProbs(e, inputs, opts);
        const grads = lossRowProbsBackward(e, { ...inputs, lse, probsGrad: e.upload(probsGrad, [B, Hq, 1, T]) }, opts);
        const ref = lossRowProbsBackwardRef({ q: qRows, k, keyMask: mask, rows, probsGrad }, dims);
        const actual = [...(await e.read(probs)), ...(await e.read(grads.dq)), ...(await e.read(grads.dk))];
        return { actual, expected: [...lossRowProbsRef(qRows, k, mask, rows, dims).probs, ...ref.dq, ...ref.dk] };
      },
    },
  ];
}

export function relativeMaxError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let worst = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]));
    const err = Math.abs(actual[i] - expected[i]);
    worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst / (scale || 1);
}

export async function runSelfCheck(e: Engine): Promise<SelfCheckResult[]> {
  const results: SelfCheckResult[] = [];
  for (const check of CHECKS) {
    const start = performance.now();
    const { actual, expected } = await check.run(e);
    const maxError = relativeMaxError(actual, expected);
    results.push({ name: check.name, maxError, tolerance: check.rtol, passed: maxError <= check.rtol, ms: performance.now() - start });
  }
  return results;
}
