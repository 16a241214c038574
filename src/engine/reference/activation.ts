/** Float64 references for the activations in shaders/activation.wgsl. */
const GELU_C = Math.sqrt(2 / Math.PI);
const GELU_A = 0.044715;

export function geluRef(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(GELU_C * (v + GELU_A * v ** 3))));
}

export function geluBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const t = Math.tanh(GELU_C * (v + GELU_A * v ** 3));
    const du = GELU_C * (1 + 3 * GELU_A * v * v);
    return (0.5 * (1 + t) + 0.5 * v * (1 - t * t) * du) * dy[i];
  });
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

export function siluRef(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => v * sigmoid(v));
}

export function siluBackwardRef(x: ArrayLike<number>, dy: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const s = sigmoid(v);
    return s * (1 + v * (1 - s)) * dy[i];
  });
}

export function swigluRef(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  const s = siluRef(gate);
  return s.map((v, i) => v * up[i]);
}

export function swigluBackwardRef(gate: ArrayLike<number>, up: ArrayLike<number>, dy: ArrayLike<number>): { dGate: Float64Array; dUp: Float64Array } {
  const ones = Float64Array.from(dy, (d, i) => d * up[i]);
  return { dGate: siluBackwardRef(gate, ones), dUp: siluRef(gate).map((s, i) => s * dy[i]) };
}

export function gegluRef(gate: ArrayLike<number>, up: ArrayLike<number>): Float64Array {
  return geluRef(gate).map((v, i) => v * up[i]);
}

export function gegluBackwardRef(gate: ArrayLike<number>, up: ArrayLike<number>, dy: ArrayLike<number>): { dGate: Float64Array; dUp: Float64Array } {
  const dyUp = Float64Array.from(dy, (d, i) => d * up[i]);
  return { dGate: geluBackwardRef(gate, dyUp), dUp: geluRef(gate).map((g, i) => g * dy[i]) };
}
