/**
 * `npm run bench:kernels`: times the matmuls of GPT-2 124M and SmolLM2-135M at 128 and 512 tokens
 * and causal attention forward + backward, and prints one JSON document (options: USAGE).
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { attention, attentionBackward, attentionFlops } from '../engine/ops/attention';
import { matmul, matmulFlops, MATMUL_TILINGS, type MatmulTiling } from '../engine/ops/matmul';
import type { Tensor } from '../engine/tensor';
import { randomArray } from '../engine/random';
import { integerOption, parseOptions, type CliTool } from './run';

const NAME = 'bench-kernels';
const USAGE = `usage: node dist-node/bench-kernels.mjs [options]   (npm run bench:kernels -- [options])
  --tokens LIST   prompt lengths, comma-separated (default 128,512)
  --reps N        timed runs of each kernel after 2 warm-up runs (default 5)
  --large         adds the 4096³ matmul that is compared with cuBLAS
  --only TEXT     only the kernels whose name contains TEXT
  --tile NAME     a matmul tiling: ${Object.keys(MATMUL_TILINGS).join(', ')} (default: the adapter's choice per product)
Prints one JSON document; see README "Performance".`;

interface KernelBenchOptions {
  readonly tokens: number[];
  readonly reps: number;
  readonly large: boolean;
  readonly only: string | null;
  readonly tiling: MatmulTiling | undefined;
}

interface ModelShape {
  readonly name: string;
  readonly hidden: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly mlp: number;
  readonly vocab: number;
  /** GPT-2's Conv1D stores weights [in, out]; Llama's Linear [out, in], multiplied transposed. */
  readonly weightsTransposed: boolean;
  readonly gated: boolean;
}

const MODELS: ModelShape[] = [
  { name: 'gpt2-124M', hidden: 768, heads: 12, kvHeads: 12, headDim: 64, mlp: 3072, vocab: 50257, weightsTransposed: false, gated: false },
  { name: 'SmolLM2-135M', hidden: 576, heads: 9, kvHeads: 3, headDim: 64, mlp: 1536, vocab: 49152, weightsTransposed: true, gated: true },
];

interface MatmulCase {
  readonly name: string;
  readonly model: string;
  readonly M: number;
  readonly K: number;
  readonly N: number;
  readonly transA: boolean;
  readonly transB: boolean;
}

interface Result {
  readonly name: string;
  readonly model: string;
  readonly shape: Record<string, number | boolean>;
  readonly gflop: number;
  readonly msMedian: number;
  readonly msMin: number;
  readonly msMax: number;
  readonly gflopsPerSecond: number;
  readonly timing: 'gpu-timestamps' | 'wall-clock';
}

function parseKernelBenchArgs(argv: readonly string[]): KernelBenchOptions {
  const o = parseOptions(NAME, argv, { tokens: 'string', reps: 'string', large: 'boolean', only: 'string', tile: 'string' });
  if (o.tile !== undefined && !(o.tile in MATMUL_TILINGS)) throw new InputError(`--tile is ${JSON.stringify(o.tile)}; pick one of ${Object.keys(MATMUL_TILINGS).join(', ')}`);
  return {
    tokens: (o.tokens ?? '128,512').split(',').map((t) => integerOption(NAME, t, 'tokens', 1, 0)),
    reps: integerOption(NAME, o.reps, 'reps', 1, 5),
    large: o.large ?? false,
    only: o.only ?? null,
    tiling: o.tile === undefined ? undefined : MATMUL_TILINGS[o.tile as keyof typeof MATMUL_TILINGS],
  };
}

function matmulCases(model: ModelShape, tokens: number): MatmulCase[] {
  const { hidden: d, headDim, kvHeads, mlp } = model;
  const t = model.weightsTransposed;
  const linear = (name: string, K: number, N: number): MatmulCase => ({ name, model: model.name, M: tokens, K, N, transA: false, transB: t });
  const cases = model.gated
    ? [linear('q_proj', d, d), linear('k_proj', d, kvHeads * headDim), linear('o_proj', d, d), linear('gate_proj', d, mlp), linear('down_proj', mlp, d)]
    : [linear('c_attn', d, 3 * d), linear('attn.c_proj', d, d), linear('c_fc', d, mlp), linear('mlp.c_proj', mlp, d)];
  // Backward of the query projection, the matmuls ABFT runs for every layer: dX = dY·Wᵀ and dW = Xᵀ·dY.
  cases.push({ name: 'q_proj dX', model: model.name, M: tokens, K: d, N: d, transA: false, transB: !t });
  cases.push({ name: 'q_proj dW', model: model.name, M: d, K: tokens, N: d, transA: true, transB: false });
  return cases;
}

async function time(e: Engine, reps: number, launch: () => Tensor[]): Promise<{ ms: number[]; timing: Result['timing'] }> {
  for (let i = 0; i < 2; i++) for (const t of launch()) t.release();
  await e.sync();
  const ms: number[] = [];
  const useTimestamps = e.features.timestampQuery;
  for (let i = 0; i < reps; i++) {
    if (useTimestamps) {
      e.startProfiling();
      for (const t of launch()) t.release();
      const timings = await e.stopProfiling();
      ms.push(timings.reduce((s, k) => s + k.totalMs, 0));
    } else {
      const start = performance.now();
      for (const t of launch()) t.release();
      await e.sync();
      ms.push(performance.now() - start);
    }
  }
  return { ms, timing: useTimestamps ? 'gpu-timestamps' : 'wall-clock' };
}

function summarize(name: string, model: string, shape: Result['shape'], flops: number, ms: number[], timing: Result['timing']): Result {
  const sorted = [...ms].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  return {
    name,
    model,
    shape,
    gflop: flops / 1e9,
    msMedian: median,
    msMin: sorted[0],
    msMax: sorted[sorted.length - 1],
    gflopsPerSecond: flops / 1e9 / (median / 1e3),
    timing,
  };
}

async function benchMatmul(e: Engine, c: MatmulCase, reps: number, tiling: MatmulTiling | undefined): Promise<Result> {
  const a = e.upload(randomArray(c.M * c.K, 1), c.transA ? [c.K, c.M] : [c.M, c.K]);
  const b = e.upload(randomArray(c.K * c.N, 2), c.transB ? [c.N, c.K] : [c.K, c.N]);
  const { ms, timing } = await time(e, reps, () => [matmul(e, a, b, { transA: c.transA, transB: c.transB, tiling })]);
  a.release();
  b.release();
  return summarize(`matmul ${c.name}`, c.model, { M: c.M, K: c.K, N: c.N, transA: c.transA, transB: c.transB }, matmulFlops(1, c.M, c.N, c.K), ms, timing);
}

async function benchAttention(e: Engine, model: ModelShape, tokens: number, reps: number): Promise<Result> {
  const B = 1;
  const { heads: Hq, kvHeads: Hkv, headDim: D } = model;
  const q = e.upload(randomArray(B * tokens * Hq * D, 3), [B, tokens, Hq, D]);
  const k = e.upload(randomArray(B * tokens * Hkv * D, 4), [B, tokens, Hkv, D]);
  const v = e.upload(randomArray(B * tokens * Hkv * D, 5), [B, tokens, Hkv, D]);
  const dOut = e.upload(randomArray(B * tokens * Hq * D, 6), [B, tokens, Hq, D]);
  const keyMask = e.upload(new Array(B * tokens).fill(1), [B, tokens], 'u32');
  const { ms, timing } = await time(e, reps, () => {
    const { out, lse } = attention(e, q, k, v, keyMask);
    const { dq, dk, dv } = attentionBackward(e, { q, k, v, out, lse, keyMask, dOut });
    return [out, lse, dq, dk, dv];
  });
  for (const t of [q, k, v, dOut, keyMask]) t.release();
  const flops = attentionFlops(B, tokens, Hq, D);
  return summarize('attention fwd+bwd', model.name, { B, T: tokens, Hq, Hkv, D }, flops.forward + flops.backward, ms, timing);
}

export const benchKernels: CliTool = {
  name: NAME,
  usage: USAGE,
  async run(argv, io) {
    const opts = parseKernelBenchArgs(argv);
    const e = await io.engine();
    const results: Result[] = [];
    const wanted = (name: string) => !opts.only || name.includes(opts.only);
    for (const model of MODELS) {
      for (const tokens of opts.tokens) {
        for (const c of matmulCases(model, tokens)) if (wanted(`matmul ${c.name}`)) results.push(await benchMatmul(e, c, opts.reps, opts.tiling));
        if (wanted('attention')) results.push(await benchAttention(e, model, tokens, opts.reps));
      }
    }
    if (opts.large) {
      const n = 4096;
      results.push(await benchMatmul(e, { name: '4096³', model: '-', M: n, K: n, N: n, transA: false, transB: false }, opts.reps, opts.tiling));
    }
    const report = {
      adapter: e.adapterName,
      features: e.features,
      date: new Date().toISOString(),
      reps: opts.reps,
      peakGpuBytes: e.memory().peakAllocatedBytes,
      results,
    };
    io.stdout(JSON.stringify(report, null, 2));
  },
};
