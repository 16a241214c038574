import source from '../../../shaders/rope.wgsl?raw';
import { shapeToString } from '../dtype';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, expectShape, type Tensor } from '../tensor';

const WG = 256;
const rotation = (entryPoint: string) =>
  defineKernel({ name: entryPoint, source, entryPoint, params: ['n:u32', 'D:u32', 'H:u32', 'half:u32'], bindings: ['read', 'read', 'read', 'write'] });

const kernels = {
  rope: rotation('rope_forward'),
  ropeBackward: rotation('rope_backward'),
};

/**
 * 'half': HF `rotate_half`, pairs (i, i + R/2) (Llama, Mistral, Qwen, GPT-NeoX checkpoints in HF).
 * 'interleaved': pairs (2i, 2i + 1) (GPT-J, Meta's original Llama code).
 */
export type RopeLayout = 'half' | 'interleaved';

export interface RopeOptions {
  readonly layout: RopeLayout;
}

/**
 * theta^(-2i / R) for i < R / 2, computed in float64 and rounded once to f32 (HF computes it in f32,
 * which can differ in the last ulp). Apply any RoPE scaling (Llama 3, linear, NTK) to the result.
 */
export function ropeInvFreq(theta: number, rotaryDim: number): Float32Array {
  if (!(theta > 0) || !Number.isFinite(theta)) throw new Error(`ropeInvFreq: theta = ${theta}, expected a positive finite number`);
  if (!Number.isInteger(rotaryDim) || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new Error(`ropeInvFreq: rotaryDim = ${rotaryDim}, expected a positive even integer`);
  }
  return Float32Array.from({ length: rotaryDim / 2 }, (_, i) => theta ** ((-2 * i) / rotaryDim));
}

function launch(e: Engine, op: string, kernel: (typeof kernels)[keyof typeof kernels], x: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions, xName: string): Tensor {
  expectDType(op, xName, x, 'f32');
  expectShape(op, xName, x, [-1, -1, -1, -1]);
  const [B, T, H, D] = x.shape;
  expectDType(op, 'positions', positions, 'i32');
  expectShape(op, 'positions', positions, [B, T]);
  expectDType(op, 'invFreq', invFreq, 'f32');
  expectShape(op, 'invFreq', invFreq, [-1]);
  const half = invFreq.shape[0];
  if (half < 1 || 2 * half > D) {
    throw new ShapeError(op, `invFreq has shape ${shapeToString(invFreq.shape)}: 2 * ${half} rotary dims must be in 2..D = ${D} (${xName} ${shapeToString(x.shape)})`);
  }
  if (opts.layout !== 'half' && opts.layout !== 'interleaved') throw new Error(`${op}: layout '${String(opts.layout)}', expected 'half' or 'interleaved'`);
  const y = e.empty(x.shape);
  e.run(kernel, {
    constants: { INTERLEAVED: opts.layout === 'interleaved' },
    params: { n: x.size, D, H, half },
    tensors: [x, positions, invFreq, y],
    workgroups: grid1d(x.size, WG),
  });
  return y;
}

/**
 * Rotates x[B, T, H, D] by angles positions[b, t] * invFreq[i] (f32 product, as HF); dims from
 * 2 * invFreq.length on pass through (partial rotary). Positions are per token, so left-padded
 * batches just pass their own position ids. Angle precision up to position ~8k: see shaders/rope.wgsl.
 */
export function rope(e: Engine, x: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions): Tensor {
  return launch(e, 'rope', kernels.rope, x, positions, invFreq, opts, 'x');
}

/** dx = rotation of dy by the negative angle (a rotation's transpose is its inverse). */
export function ropeBackward(e: Engine, dy: Tensor, positions: Tensor, invFreq: Tensor, opts: RopeOptions): Tensor {
  return launch(e, 'ropeBackward', kernels.ropeBackward, dy, positions, invFreq, opts, 'dy');
}
