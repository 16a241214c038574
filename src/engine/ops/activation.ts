import source from '../../../shaders/activation.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d, type Access } from '../kernel';
import { expectDType, type Tensor } from '../tensor';

const WG = 256;
const kernel = (entryPoint: string, bindings: Access[]) => defineKernel({ name: entryPoint, source, entryPoint, params: ['n:u32'], bindings });
const ONE_IN: Access[] = ['read', 'write'];
const TWO_IN: Access[] = ['read', 'read', 'write'];
const GATED_BACKWARD: Access[] = ['read', 'read', 'read', 'write', 'write'];

const kernels = {
  gelu: kernel('gelu_forward', ONE_IN),
  geluBackward: kernel('gelu_backward', TWO_IN),
  silu: kernel('silu_forward', ONE_IN),
  siluBackward: kernel('silu_backward', TWO_IN),
  swiglu: kernel('swiglu_forward', TWO_IN),
  swigluBackward: kernel('swiglu_backward', GATED_BACKWARD),
  geglu: kernel('geglu_forward', TWO_IN),
  gegluBackward: kernel('geglu_backward', GATED_BACKWARD),
};

function sameShape(op: string, a: Tensor, b: Tensor): void {
  expectDType(op, 'input', a, 'f32');
  expectDType(op, 'input', b, 'f32');
  if (a.size !== b.size || a.shape.join() !== b.shape.join()) throw new ShapeError(op, `shapes [${a.shape}] and [${b.shape}] differ`);
}

function elementwise(e: Engine, kernel: (typeof kernels)[keyof typeof kernels], inputs: Tensor[], outputs: number): Tensor[] {
  const shape = inputs[0].shape;
  const outs = Array.from({ length: outputs }, () => e.empty(shape));
  e.run(kernel, { params: { n: inputs[0].size }, tensors: [...inputs, ...outs], workgroups: grid1d(inputs[0].size, WG) });
  return outs;
}

/** GELU, tanh approximation (GPT-2's `gelu_new`). */
export function gelu(e: Engine, x: Tensor): Tensor {
  expectDType('gelu', 'x', x, 'f32');
  return elementwise(e, kernels.gelu, [x], 1)[0];
}

export function geluBackward(e: Engine, x: Tensor, dy: Tensor): Tensor {
  sameShape('geluBackward', x, dy);
  return elementwise(e, kernels.geluBackward, [x, dy], 1)[0];
}

export function silu(e: Engine, x: Tensor): Tensor {
  expectDType('silu', 'x', x, 'f32');
  return elementwise(e, kernels.silu, [x], 1)[0];
}

export function siluBackward(e: Engine, x: Tensor, dy: Tensor): Tensor {
  sameShape('siluBackward', x, dy);
  return elementwise(e, kernels.siluBackward, [x, dy], 1)[0];
}

/** silu(gate) * up, the gated MLP product of Llama-family models. */
export function swiglu(e: Engine, gate: Tensor, up: Tensor): Tensor {
  sameShape('swiglu', gate, up);
  return elementwise(e, kernels.swiglu, [gate, up], 1)[0];
}

export function swigluBackward(e: Engine, gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
  return gatedBackward('swigluBackward', e, kernels.swigluBackward, gate, up, dy);
}

/** gelu(gate) * up with GELU's tanh form: Gemma's MLP (`gelu_pytorch_tanh`). */
export function geglu(e: Engine, gate: Tensor, up: Tensor): Tensor {
  sameShape('geglu', gate, up);
  return elementwise(e, kernels.geglu, [gate, up], 1)[0];
}

export function gegluBackward(e: Engine, gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
  return gatedBackward('gegluBackward', e, kernels.gegluBackward, gate, up, dy);
}

function gatedBackward(op: string, e: Engine, kernel: (typeof kernels)['swigluBackward'], gate: Tensor, up: Tensor, dy: Tensor): { dGate: Tensor; dUp: Tensor } {
  sameShape(op, gate, up);
  sameShape(op, gate, dy);
  const [dGate, dUp] = elementwise(e, kernel, [gate, up, dy], 2);
  return { dGate, dUp };
}
