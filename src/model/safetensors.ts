/**
 * The safetensors format: 8 bytes of little-endian header length N, N bytes of JSON header
 * {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}, then the
 * tensor bytes, offsets relative to the end of the header.
 */
import { fromHalfBits } from '../engine/dtype';
import type { ModelFile } from './files';

/** Element types this project reads and writes. */
export type SafetensorsDType = 'F32' | 'F16' | 'BF16';

export const SAFETENSORS_DTYPE_BYTES: Readonly<Record<SafetensorsDType, number>> = { F32: 4, F16: 2, BF16: 2 };

/**
 * Bits per element of every dtype the safetensors format defines. The reader accepts them all in a
 * header, since checkpoints carry buffers such as I64 position ids that no loader reads, and
 * rejects only the ones it cannot widen when a tensor is actually read.
 */
const SAFETENSORS_DTYPE_BITS: Readonly<Record<string, number>> = {
  BOOL: 8,
  F4: 4,
  F6_E2M3: 6,
  F6_E3M2: 6,
  U8: 8,
  I8: 8,
  F8_E5M2: 8,
  F8_E4M3: 8,
  F8_E8M0: 8,
  I16: 16,
  U16: 16,
  F16: 16,
  BF16: 16,
  I32: 32,
  U32: 32,
  F32: 32,
  C64: 64,
  F64: 64,
  I64: 64,
  U64: 64,
};

export interface TensorToWrite {
  readonly name: string;
  /** Any safetensors dtype: tensors copied unchanged from another checkpoint keep theirs (e.g. I64 buffers). */
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Raw little-endian bytes of the tensor in `dtype` (e.g. a Float32Array's bytes for F32). */
  readonly bytes: Uint8Array;
}

/** Serializes tensors to one safetensors file; names are written in the order given. */
export function encodeSafetensors(tensors: readonly TensorToWrite[], metadata: Readonly<Record<string, string>> = {}): Uint8Array<ArrayBuffer> {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of tensors) {
    const bits = SAFETENSORS_DTYPE_BITS[t.dtype];
    if (bits === undefined) throw new Error(`encodeSafetensors: ${t.name} has dtype ${t.dtype}, which is not a safetensors dtype`);
    const expected = Math.ceil((t.shape.reduce((p, d) => p * d, 1) * bits) / 8);
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

export function f32Bytes(values: ArrayLike<number>): Uint8Array<ArrayBuffer> {
  const f = Float32Array.from(values);
  return new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
}


/** Larger headers are not model checkpoints; the reference implementation uses the same limit. */
const MAX_HEADER_BYTES = 100_000_000;

export interface SafetensorsTensorEntry {
  readonly dtype: string;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file, [begin, end). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly file: ModelFile;
  /** Absolute offset of the first tensor byte: 8 + header length. */
  readonly dataStart: number;
  readonly tensors: ReadonlyMap<string, SafetensorsTensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
}

const CORRUPT = 'the file is corrupt or not a safetensors file; download it again';

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array ${JSON.stringify(value).slice(0, 80)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads and validates the header of a safetensors file; only its 8 + N header bytes are read. */
export async function readSafetensorsHeader(file: ModelFile): Promise<SafetensorsHeader> {
  const where = file.name;
  if (file.size < 8) {
    throw new Error(`${where}: the file has ${file.size} bytes, fewer than the 8-byte header length every safetensors file starts with; it is empty or truncated; download it again`);
  }
  const lengthBytes = await file.read(0, 8);
  const headerLength = new DataView(lengthBytes.buffer, lengthBytes.byteOffset, 8).getBigUint64(0, true);
  if (headerLength > BigInt(MAX_HEADER_BYTES)) {
    throw new Error(`${where}: the header length field says ${headerLength} bytes, more than the ${MAX_HEADER_BYTES}-byte limit; ${CORRUPT}`);
  }
  const n = Number(headerLength);
  if (8 + n > file.size) {
    throw new Error(`${where}: the header length field says ${n} bytes, but the file has only ${file.size} bytes in all; the file is truncated or not a safetensors file; download it again`);
  }
  const parsed = parseHeaderJson(where, await file.read(8, n));
  const dataStart = 8 + n;
  let metadata: Record<string, string> = {};
  const tensors = new Map<string, SafetensorsTensorEntry>();
  for (const [name, value] of Object.entries(parsed)) {
    if (name === '__metadata__') metadata = parseMetadata(where, value);
    else tensors.set(name, parseEntry(where, name, value, dataStart, file.size));
  }
  checkNoOverlap(where, tensors);
  return { file, dataStart, tensors, metadata };
}

function parseHeaderJson(where: string, bytes: Uint8Array): Record<string, unknown> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Error(`${where}: the ${bytes.byteLength}-byte header is not valid UTF-8; ${CORRUPT}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(`${where}: the header is not valid JSON (${(e as Error).message}); ${CORRUPT}`);
  }
  if (!isRecord(parsed)) throw new Error(`${where}: the header is ${describe(parsed)}, not a JSON object of tensors; ${CORRUPT}`);
  return parsed;
}

function parseMetadata(where: string, value: unknown): Record<string, string> {
  if (!isRecord(value)) throw new Error(`${where}: __metadata__ is ${describe(value)}, not an object of strings; ${CORRUPT}`);
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw new Error(`${where}: __metadata__ "${key}" is ${describe(v)}, not a string; ${CORRUPT}`);
  }
  return value as Record<string, string>;
}

function parseEntry(where: string, name: string, value: unknown, dataStart: number, fileSize: number): SafetensorsTensorEntry {
  const at = `${where}: tensor "${name}"`;
  if (!isRecord(value)) throw new Error(`${at} is ${describe(value)}, not an object with dtype, shape and data_offsets; ${CORRUPT}`);
  const missing = ['dtype', 'shape', 'data_offsets'].filter((field) => !(field in value));
  if (missing.length > 0) throw new Error(`${at} has no ${missing.join(', ')}; ${CORRUPT}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string') throw new Error(`${at} has dtype ${describe(dtype)}, not a string; ${CORRUPT}`);
  const bits = Object.hasOwn(SAFETENSORS_DTYPE_BITS, dtype) ? SAFETENSORS_DTYPE_BITS[dtype] : undefined;
  if (bits === undefined) {
    throw new Error(`${at} has dtype "${dtype}", which is not a safetensors dtype (${Object.keys(SAFETENSORS_DTYPE_BITS).join(', ')}); the file is corrupt or from a newer safetensors version; save it again with a current safetensors`);
  }
  if (!Array.isArray(shape)) throw new Error(`${at} has shape ${describe(shape)}, not an array of dimensions; ${CORRUPT}`);
  shape.forEach((d: unknown, i) => {
    if (typeof d !== 'number' || !Number.isSafeInteger(d) || d < 0) {
      throw new Error(`${at} has shape ${JSON.stringify(shape)}: dimension ${i} (${JSON.stringify(d)}) is not a non-negative integer; ${CORRUPT}`);
    }
  });
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => typeof o === 'number' && Number.isSafeInteger(o) && o >= 0) || offsets[0] > offsets[1]) {
    throw new Error(`${at} has data_offsets ${JSON.stringify(offsets)}, not [begin, end] with integers 0 <= begin <= end; ${CORRUPT}`);
  }
  const [begin, end] = offsets as [number, number];
  const dims = shape as number[];
  const totalBits = dims.reduce((p, d) => p * d, 1) * bits;
  if (totalBits % 8 !== 0 || end - begin !== totalBits / 8) {
    throw new Error(`${at} is ${dtype} [${dims.join(', ')}], which needs ${totalBits / 8} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin} bytes; ${CORRUPT}`);
  }
  if (dataStart + end > fileSize) {
    throw new Error(`${where}: the file is truncated: it has ${fileSize} bytes, tensor "${name}" needs bytes up to ${dataStart + end}; download it again`);
  }
  return { dtype, shape: dims, begin: dataStart + begin, end: dataStart + end };
}

function checkNoOverlap(where: string, tensors: ReadonlyMap<string, SafetensorsTensorEntry>): void {
  const byBegin = [...tensors].filter(([, t]) => t.end > t.begin).sort(([, a], [, b]) => a.begin - b.begin);
  for (let i = 1; i < byBegin.length; i++) {
    const [prevName, prev] = byBegin[i - 1];
    const [name, t] = byBegin[i];
    if (t.begin < prev.end) {
      throw new Error(`${where}: tensors "${prevName}" (bytes ${prev.begin}..${prev.end}) and "${name}" (bytes ${t.begin}..${t.end}) overlap; ${CORRUPT}`);
    }
  }
}

let halfTable: Float32Array | undefined;

/** All 65536 halves widened once (256 KiB), so that widening a tensor is one lookup per element. */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = fromHalfBits(h);
  }
  return halfTable;
}

/**
 * Reads one tensor, only its byte range, widened exactly to f32. Typed arrays use the platform's
 * byte order, which is little-endian like the format wherever WebGPU runs.
 */
export async function readTensorF32(header: SafetensorsHeader, name: string): Promise<Float32Array> {
  const entry = header.tensors.get(name);
  if (!entry) throw new Error(`${header.file.name}: there is no tensor "${name}" in the file (it has ${header.tensors.size} tensors)`);
  if (entry.dtype !== 'F32' && entry.dtype !== 'F16' && entry.dtype !== 'BF16') {
    throw new Error(`${header.file.name}: tensor "${name}" is ${entry.dtype}; the loader reads F32, F16 and BF16 weights only; convert the checkpoint to one of those (e.g. save it with torch_dtype float32 or bfloat16)`);
  }
  const bytes = await header.file.read(entry.begin, entry.end - entry.begin);
  // Copying into a fresh buffer aligns the data (offsets in a file need not be multiples of 4) and
  // keeps the result from aliasing the file's bytes.
  if (entry.dtype === 'F32') {
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  const halves = new Uint16Array(bytes.byteLength / 2);
  new Uint8Array(halves.buffer).set(bytes);
  const out = new Float32Array(halves.length);
  if (entry.dtype === 'F16') {
    const table = halfToFloatTable();
    for (let i = 0; i < halves.length; i++) out[i] = table[halves[i]];
  } else {
    // bf16 is the upper half of an f32's bits.
    const bits = new Uint32Array(out.buffer);
    for (let i = 0; i < halves.length; i++) bits[i] = halves[i] << 16;
  }
  return out;
}
