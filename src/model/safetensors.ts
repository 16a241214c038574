/**
 * The safetensors format: 8 bytes of little-endian header length N, N bytes of JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the
 * tensor bytes, offsets relative to the end of the header.
 */

/** Element types this project reads and writes. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16';

export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F16: 2, BF16: 2 };

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** Raw little-endian bytes of the tensor in `dtype` (e.g. a Float32Array's bytes for F32). */
  readonly bytes: Uint8Array;
}

/** Serializes tensors to one safetensors file; names are written in the order given. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const expected = t.shape.reduce((p, d) => p * d, 1) * SAFETENSORS_DTYPE_BYTES[t.dtype];
    if (t.bytes.byteLength !== expected) {
      throw new Error(`encodeSafetensors: ${t.name} has ${t.bytes.byteLength} bytes, but ${t.dtype} [${t.shape.join(', ')}] needs ${expected}`);
    }
    if (t.name in header) throw new Error(`encodeSafetensors: tensor name ${t.name} appears twice`);
    header[t.name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + expected] };
    offset += expected;
  }
  // The header is padded with spaces to a multiple of 8 so that tensor data stays aligned, as the reference writer does.
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - ((8 + new TextEncoder().encode(json).byteLength) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.byteLength;
  for (const t of tensors) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

export function f32Bytes(values: ArrayLike<number>): Uint8Array {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}
