import source from '../../shaders/abft_loss.wgsl?raw';
import type { Engine } from '../engine/engine';
import { ShapeError } from '../engine/errors';
import { defineKernel, grid1d } from '../engine/kernel';
import { rowWorkgroupSize } from '../engine/ops/softmax';
import { expectDType, expectShape, type Tensor } from '../engine/tensor';
import type { AbftObjectiveOptions } from './objective';

const kernel = defineKernel({
  name: 'abft_loss',
  source,
  entryPoint: 'abft_loss',
  params: [
    'batch:u32',
    'heads:u32',
    'cols:u32',
    'layers:u32',
    'layer:u32',
    'head_filter:u32',
    'demos:f32',
    'log_scale:f32',
    'punishment:f32',
    'reward:f32',
    'grad_scale:f32',
  ],
  bindings: ['read', 'read', 'read', 'write', 'write'],
});

/**
 * Fields of one (prompt, layer, head) entry of `stats`, in the order of shaders/abft_loss.wgsl.
 * Masses are of the last-row attention α; `loss` is the head's unscaled L (0 when it fails the filter).
 */
export const STAT = Object.freeze({ labelMass: 0, passed: 1, loss: 2, plus: 3, minus: 4, sink: 5 });
export const STAT_FIELDS = 6;

/** 1 / ln(base): log_base(n) = ln(n) / ln(base). */
const LOG_SCALE = { natural: 1, log2: 1 / Math.LN2, log10: 1 / Math.LN10 } as const;

export interface AbftLossOptions extends Pick<AbftObjectiveOptions, 'headFilter' | 'thresholdLog' | 'headReduction' | 'promptReduction'> {
  /** 𝒜 of the current pseudo-batch (from the PunishmentController). */
  readonly punishment: number;
  /** ℬ. */
  readonly reward: number;
  /** Demonstrations per prompt, the k of the threshold k / (k + log n_t). */
  readonly k: number;
  /**
   * Prompts in the pseudo-batch, for promptReduction 'mean'. With micro-batches pass the
   * pseudo-batch size, not the micro-batch's B, so the accumulated gradients come out as the mean.
   */
  readonly batchSize: number;
}

export interface AbftLossResult {
  /** Per layer [B, H, 1, T]: dL/dα, 0 for heads that fail the filter, off the labels and on padding. */
  readonly probsGrad: Tensor<'f32'>[];
  /**
   * f32 [B, L, H, STAT_FIELDS], prompt-major so the stats of consecutive micro-batches, read back
   * and concatenated, are the stats of their pseudo-batch.
   */
  readonly stats: Tensor<'f32'>;
}

function checkOptions(op: string, opts: AbftLossOptions): void {
  for (const name of ['punishment', 'reward'] as const) {
    if (!Number.isFinite(opts[name])) throw new Error(`${op}: ${name} is ${opts[name]}, expected a finite number`);
  }
  if (!(opts.k > 0) || !Number.isFinite(opts.k)) throw new Error(`${op}: k is ${opts.k}, expected the number of demonstrations (> 0)`);
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) {
    throw new Error(`${op}: batchSize is ${opts.batchSize}, expected the pseudo-batch's prompt count (an integer >= 1)`);
  }
  if (!(opts.thresholdLog in LOG_SCALE)) throw new Error(`${op}: thresholdLog is '${String(opts.thresholdLog)}', expected 'natural', 'log2' or 'log10'`);
  if (opts.headFilter !== 'threshold' && opts.headFilter !== 'none') throw new Error(`${op}: headFilter is '${String(opts.headFilter)}', expected 'threshold' or 'none'`);
  if (opts.headReduction !== 'sum' && opts.headReduction !== 'mean') throw new Error(`${op}: headReduction is '${String(opts.headReduction)}', expected 'sum' or 'mean'`);
  if (opts.promptReduction !== 'mean' && opts.promptReduction !== 'sum') {
    throw new Error(`${op}: promptReduction is '${String(opts.promptReduction)}', expected 'mean' or 'sum'`);
  }
}

/** The factor the reductions put on every head's loss: 1/batchSize for the prompt mean, 1/(L·H) for the head mean. */
export function lossScale(layers: number, heads: number, opts: Pick<AbftLossOptions, 'headReduction' | 'promptReduction' | 'batchSize'>): number {
  return (opts.promptReduction === 'mean' ? 1 / opts.batchSize : 1) * (opts.headReduction === 'mean' ? 1 / (layers * heads) : 1);
}

/**
 * The ABFT loss of §3 on every layer's last-row attention `probs` (per layer [B, H, 1, T], the
 * rows at each prompt's last real token). `labels` i32 [B, T] holds +1 on I⁺, -1 on I⁻ and 0
 * elsewhere; `lengths` i32 [B] the real token count n_t (right padding; a length of 0 marks an
 * absent prompt). One launch per layer; nothing is read back.
 */
export function abftLoss(e: Engine, probs: readonly Tensor[], labels: Tensor, lengths: Tensor, opts: AbftLossOptions): AbftLossResult {
  const op = 'abftLoss';
  checkOptions(op, opts);
  if (probs.length === 0) throw new ShapeError(op, 'probs is empty, expected one [B, H, 1, T] tensor per layer');
  expectDType(op, 'probs[0]', probs[0], 'f32');
  expectShape(op, 'probs[0]', probs[0], [-1, -1, 1, -1]);
  const [batch, heads, , cols] = probs[0].shape;
  probs.forEach((t, l) => {
    expectDType(op, `probs[${l}]`, t, 'f32');
    expectShape(op, `probs[${l}]`, t, [batch, heads, 1, cols]);
  });
  expectDType(op, 'labels', labels, 'i32');
  expectShape(op, 'labels', labels, [batch, cols]);
  expectDType(op, 'lengths', lengths, 'i32');
  expectShape(op, 'lengths', lengths, [batch]);

  const layers = probs.length;
  const stats = e.empty([batch, layers, heads, STAT_FIELDS]);
  const shared = {
    batch,
    heads,
    cols,
    layers,
    head_filter: opts.headFilter === 'threshold' ? 1 : 0,
    demos: opts.k,
    log_scale: LOG_SCALE[opts.thresholdLog],
    punishment: opts.punishment,
    reward: opts.reward,
    grad_scale: lossScale(layers, heads, opts),
  };
  const probsGrad = probs.map((p, layer) => {
    const grad = e.empty(p.shape);
    e.run(kernel, {
      constants: { WG: rowWorkgroupSize(cols) },
      params: { ...shared, layer },
      tensors: [p, labels, lengths, grad, stats],
      workgroups: grid1d(batch * heads, 1),
    });
    return grad;
  });
  return { probsGrad, stats };
}

export interface StatsDims {
  readonly batch: number;
  readonly layers: number;
  readonly heads: number;
}

export interface HeadSummary {
  /** Mean over the prompts of the attention mass on I⁺, on I⁻ and on the first token (the attention sink). */
  readonly plus: number;
  readonly minus: number;
  readonly sink: number;
  /** Fraction of the prompts on which the head passed the filter. */
  readonly passRate: number;
}

export interface StatsSummary {
  /** The objective over these prompts, reduced as `reduction` says (the pseudo-batch loss when they are the pseudo-batch). */
  readonly loss: number;
  /** n̄: passing heads per prompt, averaged over the prompts (the PID's input). */
  readonly passingHeads: number;
  /** [layer][head]. */
  readonly perLayerHead: HeadSummary[][];
}

/**
 * Metrics from the stats of `abftLoss`, read back as one Float32Array [B, L, H, STAT_FIELDS].
 * `reduction` defaults to the project's decisions (sum over heads, mean over these B prompts).
 */
export function summarizeStats(
  stats: Float32Array,
  dims: StatsDims,
  reduction: Pick<AbftObjectiveOptions, 'headReduction' | 'promptReduction'> = { headReduction: 'sum', promptReduction: 'mean' },
): StatsSummary {
  const { batch, layers, heads } = dims;
  const expected = batch * layers * heads * STAT_FIELDS;
  if (stats.length !== expected) {
    throw new Error(`summarizeStats: stats has ${stats.length} values, expected ${expected} for [B ${batch}, L ${layers}, H ${heads}, ${STAT_FIELDS}]`);
  }
  const sums = Array.from({ length: layers * heads }, () => ({ plus: 0, minus: 0, sink: 0, passed: 0 }));
  let loss = 0;
  let passed = 0;
  for (let b = 0; b < batch; b++) {
    for (let lh = 0; lh < layers * heads; lh++) {
      const s = (b * layers * heads + lh) * STAT_FIELDS;
      const acc = sums[lh];
      acc.plus += stats[s + STAT.plus];
      acc.minus += stats[s + STAT.minus];
      acc.sink += stats[s + STAT.sink];
      acc.passed += stats[s + STAT.passed];
      loss += stats[s + STAT.loss];
      passed += stats[s + STAT.passed];
    }
  }
  // An empty batch has no prompts to average over; its metrics are 0 rather than NaN.
  const perPrompt = batch > 0 ? 1 / batch : 0;
  const perLayerHead = Array.from({ length: layers }, (_, l) =>
    Array.from({ length: heads }, (_, h) => {
      const acc = sums[l * heads + h];
      return { plus: acc.plus * perPrompt, minus: acc.minus * perPrompt, sink: acc.sink * perPrompt, passRate: acc.passed * perPrompt };
    }),
  );
  return {
    loss: loss * lossScale(layers, heads, { ...reduction, batchSize: Math.max(batch, 1) }),
    passingHeads: passed * perPrompt,
    perLayerHead,
  };
}
