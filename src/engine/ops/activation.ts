import source from '../../../shaders/activation.wgsl?raw';
import type { Engine } from '../engine';
import { ShapeError } from '../errors';
import { defineKernel, grid1d } from '../kernel';
import { expectDType, type Tensor } from '../tensor';

const WG = 256;
const unary = (entryPoint: string) => defineKernel({ name: entryPoint, source, entryPoint, params: ['n:u32'], bindings: ['read', 'write'] });
const unaryBackward = (entryPoint: string) =>
  defineKernel({ name: entryPoint, source, entryPoint, params: ['n:u32'], bindings: ['read', 'read', 'write'] });

const kernels = {
  gelu: unary('gelu_forward'),
  geluBackward: unaryBackward('gelu_backward'),
  silu: unary('silu_forward'),
  siluBackward: unaryBackward('silu_backward'),
  swiglu: defineKernel({ name: 'swiglu_forward', source, entryPoint: 'swiglu_forward', params: ['n:u32'], bindings: ['read', 'read', 'write'] }),
  swigluBackward: defineKernel({
    name: 'swiglu_backward',
    source,
    entryPoint: 'swiglu_backward',
    params: ['n:u32'],
    bindings: ['read', 'read', 'read', 'write', 'write'],
  }),
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
  sameShape('swigluBackward', gate, up);
  sameShape('swigluBackward', gate, dy);
  const [dGate, dUp] = elementwise(e, kernels.swigluBackward, [gate, up, dy], 2);
  return { dGate, dUp };
}
