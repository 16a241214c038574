import source from '../../../shaders/optimizer.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { markNonFinite } from './finite';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, Tensor } from '../tensor';
import { contiguousRuns, type TensorRun } from '../tensor-group';

const WG = 256;
// Must equal NORM_GROUPS in optimizer.wgsl: partial-sum slots each gradient gets in the clip pass.
const NORM_GROUPS = 256;

const ADAM_PARAMS = [
  'n:u32',
  'step_size:f32',
  'bc2_sqrt:f32',
  'beta2:f32',
  'one_minus_beta1:f32',
  'one_minus_beta2:f32',
  'eps:f32',
  'l2:f32',
  'decay:f32',
  'grad_scale:f32',
] as const;

const kernels = {
  adam: defineKernel({ name: 'adam_step', source, entryPoint: 'adam_step', params: ADAM_PARAMS, bindings: ['write', 'read', 'write', 'write'] }),
  adamGated: defineKernel({
    name: 'adam_step_gated',
    source,
    entryPoint: 'adam_step_gated',
    params: ADAM_PARAMS,
    bindings: ['write', 'read', 'write', 'write', 'read'],
  }),
  sgd: defineKernel({
    name: 'sgd_step',
    source,
    entryPoint: 'sgd_step',
    params: ['n:u32', 'lr:f32', 'momentum:f32', 'weight_decay:f32', 'grad_scale:f32', 'nesterov:u32'],
    bindings: ['write', 'read'],
  }),
  sgdMomentum: defineKernel({
    name: 'sgd_momentum_step',
    source,
    entryPoint: 'sgd_momentum_step',
    params: ['n:u32', 'lr:f32', 'momentum:f32', 'weight_decay:f32', 'grad_scale:f32', 'nesterov:u32'],
    bindings: ['write', 'read', 'write'],
  }),
  accumulate: defineKernel({ name: 'accumulate', source, entryPoint: 'accumulate', params: ['n:u32'], bindings: ['write', 'read'] }),
  sumsq: defineKernel({ name: 'grad_sumsq', source, entryPoint: 'grad_sumsq', params: ['n:u32', 'slot:u32'], bindings: ['read', 'write'] }),
  normTotal: defineKernel({
    name: 'grad_norm_total',
    source,
    entryPoint: 'grad_norm_total',
    params: ['slots:u32', 'scale:f32'],
    bindings: ['read', 'write'],
  }),
  clip: defineKernel({ name: 'clip_by_norm', source, entryPoint: 'clip_by_norm', params: ['n:u32', 'max_norm:f32'], bindings: ['write', 'read'] }),
};

export interface AdamHyperparams {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  /** true: AdamW (param *= 1 - lr * weightDecay); false: Adam (weightDecay * param added to the gradient). */
  readonly decoupledWeightDecay: boolean;
  /** 1-based step number; the bias corrections 1 - beta^step are computed on the CPU from it. */
  readonly step: number;
  /** Multiplies the gradient first, e.g. 1 / micro-batches when `grad` holds an accumulated sum. Default 1. */
  readonly gradScale?: number;
  /** u32 [1] (`flagNonFinite`): where nonzero on the GPU, the step leaves param, m and v as they are. */
  readonly skipIf?: Tensor;
}

export interface SgdHyperparams {
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly nesterov?: boolean;
  /** As for Adam. Default 1. */
  readonly gradScale?: number;
}

function expectFinite(op: string, name: string, value: number, ok: (v: number) => boolean, want: string): void {
  if (!Number.isFinite(value) || !ok(value)) throw new Error(`${op}: ${name} is ${value}, expected ${want}`);
}

function expectLike(op: string, name: string, t: Tensor, param: Tensor): void {
  expectDType(op, name, t, 'f32');
  if (t.size !== param.size) {
    throw new ShapeError(op, `${name} has shape [${t.shape}] (${t.size} elements), param has [${param.shape}] (${param.size})`);
  }
}

function checkAdam(op: string, hp: AdamHyperparams): void {
  expectFinite(op, 'lr', hp.lr, (v) => v >= 0, '>= 0');
  expectFinite(op, 'beta1', hp.beta1, (v) => v >= 0 && v < 1, 'in [0, 1)');
  expectFinite(op, 'beta2', hp.beta2, (v) => v >= 0 && v < 1, 'in [0, 1)');
  expectFinite(op, 'eps', hp.eps, (v) => v > 0, '> 0');
  expectFinite(op, 'weightDecay', hp.weightDecay, (v) => v >= 0, '>= 0');
  expectFinite(op, 'step', hp.step, (v) => Number.isInteger(v) && v >= 1, 'an integer >= 1');
  expectFinite(op, 'gradScale', hp.gradScale ?? 1, () => true, 'finite');
}

/**
 * One Adam or AdamW step on `param`, `m` and `v` in place, in one kernel. Same update as PyTorch's
 * torch.optim.Adam / AdamW (amsgrad off): m = lerp(m, g, 1 - beta1); v = beta2 v + (1 - beta2) g^2;
 * param -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps).
 */
export function adamStep(e: Engine, param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hp: AdamHyperparams): void {
  const op = 'adamStep';
  expectDType(op, 'param', param, 'f32');
  expectLike(op, 'grad', grad, param);
  expectLike(op, 'm', m, param);
  expectLike(op, 'v', v, param);
  checkAdam(op, hp);
  if (hp.skipIf) {
    expectDType(op, 'skipIf', hp.skipIf, 'u32');
    expectShape(op, 'skipIf', hp.skipIf, [1]);
  }
  const decoupled = hp.decoupledWeightDecay;
  e.run(hp.skipIf ? kernels.adamGated : kernels.adam, {
    params: {
      n: param.size,
      step_size: hp.lr / (1 - hp.beta1 ** hp.step),
      bc2_sqrt: Math.sqrt(1 - hp.beta2 ** hp.step),
      beta2: hp.beta2,
      one_minus_beta1: 1 - hp.beta1,
      one_minus_beta2: 1 - hp.beta2,
      eps: hp.eps,
      l2: decoupled ? 0 : hp.weightDecay,
      decay: decoupled ? 1 - hp.lr * hp.weightDecay : 1,
      grad_scale: hp.gradScale ?? 1,
    },
    tensors: hp.skipIf ? [param, grad, m, v, hp.skipIf] : [param, grad, m, v],
    workgroups: grid1d(param.size, WG),
  });
}

/**
 * u32 [1]: nonzero where any element of `tensors` (f32) is NaN or infinite, else 0; computed on the
 * GPU, so an update gated on it (`skipIf`) can be recorded before the host has read anything.
 */
export function flagNonFinite(e: Engine, tensors: readonly Tensor[]): Tensor<'u32'> {
  tensors.forEach((t, i) => expectDType('flagNonFinite', `tensors[${i}]`, t, 'f32'));
  const flag = e.zeros([1], 'u32');
  for (const t of tensors) markNonFinite(e, t, flag, 0);
  return flag;
}

/**
 * One SGD step in place, PyTorch's torch.optim.SGD with dampening 0: g += weightDecay * param;
 * buf = momentum * buf + g; param -= lr * (nesterov ? g + momentum * buf : buf). A zeroed
 * `momentumBuf` reproduces PyTorch's first step, which sets buf = g. Without momentum pass null.
 */
export function sgdStep(e: Engine, param: Tensor, grad: Tensor, momentumBuf: Tensor | null, hp: SgdHyperparams): void {
  const op = 'sgdStep';
  expectDType(op, 'param', param, 'f32');
  expectLike(op, 'grad', grad, param);
  expectFinite(op, 'lr', hp.lr, (v) => v >= 0, '>= 0');
  expectFinite(op, 'momentum', hp.momentum, (v) => v >= 0, '>= 0');
  expectFinite(op, 'weightDecay', hp.weightDecay, (v) => v >= 0, '>= 0');
  expectFinite(op, 'gradScale', hp.gradScale ?? 1, () => true, 'finite');
  if (hp.nesterov && hp.momentum === 0) throw new Error(`${op}: nesterov needs momentum > 0, momentum is 0`);
  if (hp.momentum !== 0 && !momentumBuf) throw new Error(`${op}: momentum is ${hp.momentum} but momentumBuf is null`);
  const params = {
    n: param.size,
    lr: hp.lr,
    momentum: hp.momentum,
    weight_decay: hp.weightDecay,
    grad_scale: hp.gradScale ?? 1,
    nesterov: hp.nesterov ? 1 : 0,
  };
  const workgroups = grid1d(param.size, WG);
  if (hp.momentum === 0) {
    e.run(kernels.sgd, { params, tensors: [param, grad], workgroups });
  } else {
    expectLike(op, 'momentumBuf', momentumBuf!, param);
    e.run(kernels.sgdMomentum, { params, tensors: [param, grad, momentumBuf!], workgroups });
  }
}

/** acc += g, for gradient accumulation over micro-batches; zero `acc` with `e.clear(acc)`. */
export function accumulateInto(e: Engine, acc: Tensor, g: Tensor): void {
  expectDType('accumulateInto', 'acc', acc, 'f32');
  expectLike('accumulateInto', 'g', g, acc);
  e.run(kernels.accumulate, { params: { n: acc.size }, tensors: [acc, g], workgroups: grid1d(acc.size, WG) });
}

/** Scratch for `clipGradNorm`: one partial-sum slot per workgroup per gradient. */
function normPartials(e: Engine, count: number): Tensor {
  return e.empty([count * NORM_GROUPS]);
}

/**
 * The gradients as ranges to launch over: tensors packed side by side (`Engine.zerosGroup`, as the
 * trainer's gradients are) make one range, so the pass is a launch per buffer, not per tensor.
 */
function gradRanges(e: Engine, grads: readonly Tensor[]): Tensor[] {
  return contiguousRuns(grads, e.storageAlignment).map((r) => r.range);
}

/** norm = ||gradScale * grads||_2 over all the tensors together (padding between packed tensors is zero). */
function normInto(e: Engine, grads: readonly Tensor[], gradScale: number, partials: Tensor, norm: Tensor): void {
  // Ranges with fewer than NORM_GROUPS workgroups leave slots unwritten; they must read as 0.
  e.clear(partials);
  const ranges = gradRanges(e, grads);
  ranges.forEach((g, i) => {
    const workgroups: [number] = [Math.min(NORM_GROUPS, Math.ceil(g.size / WG))];
    e.run(kernels.sumsq, { params: { n: g.size, slot: i * NORM_GROUPS }, tensors: [g, partials], workgroups });
  });
  e.run(kernels.normTotal, { params: { slots: ranges.length * NORM_GROUPS, scale: Math.abs(gradScale) }, tensors: [partials, norm], workgroups: [1] });
}

function clipInto(e: Engine, grads: readonly Tensor[], maxNorm: number, gradScale: number, partials: Tensor, norm: Tensor): void {
  normInto(e, grads, gradScale, partials, norm);
  for (const g of gradRanges(e, grads)) e.run(kernels.clip, { params: { n: g.size, max_norm: maxNorm }, tensors: [g, norm], workgroups: grid1d(g.size, WG) });
}

function checkClip(op: string, grads: readonly Tensor[], maxNorm: number, gradScale: number): void {
  grads.forEach((g, i) => expectDType(op, `grads[${i}]`, g, 'f32'));
  expectFinite(op, 'maxNorm', maxNorm, (v) => v > 0, '> 0');
  expectFinite(op, 'gradScale', gradScale, () => true, 'finite');
}

/**
 * PyTorch's clip_grad_norm_ on the GPU without a readback: scales every gradient in place by
 * min(1, maxNorm / (||gradScale * grads||_2 + 1e-6)), the norm taken over all of them together.
 * With `gradScale` the clip acts on the gradient the optimizer will see (e.g. the mean of an
 * accumulated sum) while the buffers keep their unscaled values. Returns that norm, before
 * clipping, as an f32 [1] tensor the caller owns.
 */
export function clipGradNorm(e: Engine, grads: readonly Tensor[], maxNorm: number, gradScale = 1): Tensor {
  checkClip('clipGradNorm', grads, maxNorm, gradScale);
  const partials = normPartials(e, grads.length);
  const norm = e.empty([1]);
  clipInto(e, grads, maxNorm, gradScale, partials, norm);
  partials.release();
  return norm;
}

/**
 * ||gradScale * grads||_2 over all the tensors together, as an f32 [1] tensor the caller owns; the
 * gradients are left as they are (clipGradNorm without the clip: a training step that reports the
 * norm but does not clip skips a read and write of every gradient).
 */
export function gradNorm(e: Engine, grads: readonly Tensor[], gradScale = 1): Tensor<'f32'> {
  grads.forEach((g, i) => expectDType('gradNorm', `grads[${i}]`, g, 'f32'));
  expectFinite('gradNorm', 'gradScale', gradScale, () => true, 'finite');
  const partials = normPartials(e, grads.length);
  const norm = e.empty([1]);
  normInto(e, grads, gradScale, partials, norm);
  partials.release();
  return norm;
}

export interface AdamOptions extends Omit<AdamHyperparams, 'step' | 'gradScale'> {
  /** Clip the global gradient norm to this before every step (as clip_grad_norm_); off when absent. */
  readonly maxGradNorm?: number;
}

/** What a checkpoint needs to resume Adam: the moment buffers (live tensors, in parameter order) and the step count. */
export interface AdamState {
  readonly m: readonly Tensor[];
  readonly v: readonly Tensor[];
  readonly step: number;
}

/**
 * Adam or AdamW over a fixed list of parameters. The moments (and the clip scratch) are allocated
 * once, here, so a training step allocates no GPU memory: every step is launches only.
 */
export class AdamOptimizer {
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private stepsTaken = 0;
  private readonly clip: { readonly maxNorm: number; readonly partials: Tensor; readonly norm: Tensor } | null;

  constructor(
    private readonly e: Engine,
    readonly params: readonly Tensor[],
    private readonly options: AdamOptions,
  ) {
    const op = 'AdamOptimizer';
    params.forEach((p, i) => expectDType(op, `params[${i}]`, p, 'f32'));
    checkAdam(op, { ...options, step: 1 });
    const maxNorm = options.maxGradNorm;
    if (maxNorm !== undefined) expectFinite(op, 'maxGradNorm', maxNorm, (v) => v > 0, '> 0');
    // Packed like the parameters where those are packed (load.ts packs W_Q, W_K), so that one launch
    // steps a whole run of them (`stepSegments`).
    this.m = packedLike(e, params);
    this.v = packedLike(e, params);
    this.clip = maxNorm === undefined ? null : { maxNorm, partials: normPartials(e, params.length), norm: e.zeros([1]) };
  }

  get stepCount(): number {
    return this.stepsTaken;
  }

  /** f32 [1]: the (scaled) gradient norm of the latest step before clipping; null without maxGradNorm. */
  get gradNorm(): Tensor | null {
    return this.clip?.norm ?? null;
  }

  /**
   * One step of every parameter with `grads` (same order and shapes). `lr` overrides the learning
   * rate for a schedule; `gradScale` as in `adamStep`. With maxGradNorm the grads are clipped in place.
   * With `skipIf` the update is applied only where that GPU flag is 0; the step count advances
   * regardless, and `discardSkippedStep` takes it back once the host has read the flag.
   */
  step(grads: readonly Tensor[], overrides: { readonly lr?: number; readonly gradScale?: number; readonly skipIf?: Tensor } = {}): void {
    const op = 'AdamOptimizer.step';
    if (grads.length !== this.params.length) throw new Error(`${op}: ${grads.length} grads given for ${this.params.length} params`);
    // Validate everything before the first launch, so a bad call leaves no half-applied step.
    grads.forEach((g, i) => expectLike(op, `grads[${i}]`, g, this.params[i]));
    const hp = { ...this.options, lr: overrides.lr ?? this.options.lr, step: this.stepsTaken + 1, gradScale: overrides.gradScale ?? 1, skipIf: overrides.skipIf };
    checkAdam(op, hp);
    if (this.clip) clipInto(this.e, grads, this.clip.maxNorm, hp.gradScale, this.clip.partials, this.clip.norm);
    for (const s of stepSegments(this.e, [this.params, grads, this.m, this.v])) {
      const [p, g, m, v] = s;
      adamStep(this.e, p, g, m, v, hp);
    }
    this.stepsTaken++;
  }

  /** Takes back the count of the latest step, which its `skipIf` flag kept from changing anything. */
  discardSkippedStep(): void {
    if (this.stepsTaken === 0) throw new Error('AdamOptimizer.discardSkippedStep: no step was taken');
    this.stepsTaken--;
  }

  /** The live moment tensors and step count; read them for a checkpoint, do not release them. */
  state(): AdamState {
    return { m: this.m, v: this.v, step: this.stepsTaken };
  }

  /** Copies a checkpoint's moments into this optimizer's buffers (no allocation) and resumes at its step. */
  loadState(state: AdamState): void {
    const op = 'AdamOptimizer.loadState';
    expectFinite(op, 'state.step', state.step, (v) => Number.isInteger(v) && v >= 0, 'an integer >= 0');
    const pairs = [
      ['m', state.m, this.m],
      ['v', state.v, this.v],
    ] as const;
    // All checks before the first copy, so a bad checkpoint leaves the optimizer as it was.
    for (const [name, src, dst] of pairs) {
      if (src.length !== dst.length) throw new Error(`${op}: state.${name} has ${src.length} tensors for ${dst.length} params`);
      src.forEach((t, i) => expectLike(op, `state.${name}[${i}]`, t, dst[i]));
    }
    for (const [, src, dst] of pairs) {
      src.forEach((t, i) => {
        // Restoring an optimizer's own state() would copy a buffer onto itself, which WebGPU rejects.
        if (t.buffer !== dst[i].buffer || t.byteOffset !== dst[i].byteOffset) this.e.copy(t, dst[i]);
      });
    }
    this.stepsTaken = state.step;
  }

  release(): void {
    for (const t of [...this.m, ...this.v]) t.release();
    this.clip?.partials.release();
    this.clip?.norm.release();
  }
}

/**
 * Zeroed persistent f32 tensors shaped like `params`, packed the same way: a run of parameters packed
 * side by side gets its moments packed side by side too; a parameter on its own gets its own buffer.
 */
function packedLike(e: Engine, params: readonly Tensor[]): Tensor[] {
  return contiguousRuns(params, e.storageAlignment).flatMap((r) =>
    r.count === 1 ? [e.zeros(params[r.first].shape, 'f32', { persistent: true })] : e.zerosGroup(params.slice(r.first, r.first + r.count).map((p) => p.shape)),
  );
}

/**
 * Elementwise steps over parallel lists (parameters, gradients, moments: same length, same shapes)
 * as few launches as the packing allows: where every list has the same span of tensors back to back
 * in one buffer, the span is one range per list (padding zero in all, so it stays zero); elsewhere
 * one tensor at a time. Gives, per launch, one tensor or range from each list.
 */
export function stepSegments(e: Engine, lists: readonly (readonly Tensor[])[]): Tensor[][] {
  const n = lists[0].length;
  const runs = lists.map((l) => contiguousRuns(l, e.storageAlignment));
  // A segment ends wherever any list's run ends.
  const ends = new Set<number>();
  for (const r of runs) for (const run of r) ends.add(run.first + run.count);
  const segments: Tensor[][] = [];
  let first = 0;
  for (let end = 1; end <= n; end++) {
    if (!ends.has(end)) continue;
    segments.push(lists.map((l, k) => rangeWithin(runs[k], l, first, end)));
    first = end;
  }
  return segments;
}

/** Tensors [first, end) of `list`, inside one of its runs, as one flat range. */
function rangeWithin(runs: readonly TensorRun[], list: readonly Tensor[], first: number, end: number): Tensor {
  if (end - first === 1) return list[first].reshape([list[first].size]);
  const run = runs.find((r) => r.first <= first && end <= r.first + r.count)!;
  if (run.first === first && run.count === end - first) return run.range;
  const head = list[first];
  const tail = list[end - 1];
  return new Tensor([(tail.byteOffset + tail.byteLength - head.byteOffset) / 4], 'f32', head.buffer, null, head.byteOffset);
}
