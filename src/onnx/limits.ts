/**
 * How big an export may be, decided before any weight is read: whether the weights fit inside
 * model.onnx (protobuf caps a message at 2 GiB), and whether the model can run in a browser at all.
 */
import { formatBytes } from '../engine/pool';
import type { ModelSpec } from '../model/spec';

/** Protobuf's hard limit on one message (2^31 - 1 bytes), less room for the graph itself and the RoPE tables. */
export const DEFAULT_EXTERNAL_DATA_THRESHOLD = 2 ** 31 - 1 - 64 * 2 ** 20;

/**
 * onnxruntime-web runs in 32-bit WebAssembly, whose memory is at most 4 GiB, and copies every
 * weight into it before the first run (also with the WebGPU backend, which uploads from there);
 * activations, the KV cache and the runtime need the rest. The zip download is limited to 4 GiB too
 * (no ZIP64). Exports whose float32 weights exceed this are refused.
 */
export const DEFAULT_BROWSER_LIMIT = 3 * 2 ** 30;

export interface SizeLimits {
  /** Weights above this many bytes go to onnx/model.onnx_data instead of inside model.onnx. */
  readonly externalDataThreshold?: number;
  /** Refuse exports whose weights exceed this many bytes (the browser's memory). */
  readonly maxWeightBytes?: number;
}

/** Throws when the export would not load in a browser; returns whether the weights go to an external data file. */
export function planExportSize(spec: ModelSpec, weightBytes: number, limits: SizeLimits = {}): { readonly external: boolean } {
  const max = limits.maxWeightBytes ?? DEFAULT_BROWSER_LIMIT;
  if (weightBytes > max) {
    throw new Error(
      `ONNX export: ${spec.hfArchitecture} with ${spec.numLayers} layers and hidden size ${spec.hiddenSize} has ${formatBytes(weightBytes)} of float32 weights, ` +
        `more than the ${formatBytes(max)} a browser can hold for onnxruntime-web (32-bit WebAssembly memory is at most 4 GiB, and the weights are copied into it). ` +
        'Pick a smaller model to run it with transformers.js in the browser.',
    );
  }
  return { external: weightBytes > (limits.externalDataThreshold ?? DEFAULT_EXTERNAL_DATA_THRESHOLD) };
}
