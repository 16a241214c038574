/**
 * A graph plus its weights to the bytes of an ONNX model (protobufjs with ONNX's schema). Weights
 * are written as float32 initializers under their checkpoint names, either inside model.onnx or,
 * when they would push the file past protobuf's 2 GiB limit, in one external data file beside it
 * (ONNX's external data format: each initializer names the file, its offset and its length).
 */
import protobuf from 'protobufjs/light.js';
import type { TensorSource } from '../model/spec';
import type { ConstantTensor, Graph, WeightRef } from './graph';
import { DataLocation, DataType, IR_VERSION, onnx, type StringStringEntry, type TensorMessage } from './schema';
import { OPSET } from './causal-lm';

/** Offsets in the external data file are multiples of this, as ONNX recommends so the file can be memory-mapped. */
const EXTERNAL_ALIGNMENT = 4096;

export interface SerializeOptions {
  /** Where the weights go: inside model.onnx, or in this file (relative to model.onnx). */
  readonly externalData: string | null;
  /** ModelProto.metadata_props, e.g. the base model and how it was fine-tuned. */
  readonly metadata?: Readonly<Record<string, string>>;
  readonly producerVersion?: string;
}

export interface SerializedModel {
  /** model.onnx */
  readonly model: Uint8Array;
  /** The external data file's bytes in order, read one weight at a time; null when the weights are inside model.onnx. */
  readonly externalData: { readonly file: string; readonly size: number; chunks(): AsyncIterable<Uint8Array> } | null;
}

/** Bytes of the graph's float32 weights (what goes into model.onnx or its data file). */
export function weightBytes(graph: Graph): number {
  return graph.weights.reduce((sum, w) => sum + 4 * count(w.dims), 0);
}

export async function serializeModel(graph: Graph, source: TensorSource, opts: SerializeOptions): Promise<SerializedModel> {
  for (const ref of graph.weights) checkWeight(source, ref);
  const constants = graph.constants.map(constantTensor);
  if (opts.externalData === null) {
    const weights: TensorMessage[] = [];
    for (const ref of graph.weights) weights.push({ name: ref.name, dims: ref.dims, dataType: DataType.FLOAT, rawData: await weightBytesOf(source, ref) });
    return { model: encodeModel(graph, [...weights, ...constants], opts), externalData: null };
  }
  const file = opts.externalData;
  const placed = placeExternal(graph.weights);
  const weights = graph.weights.map((ref, i): TensorMessage => ({
    name: ref.name,
    dims: ref.dims,
    dataType: DataType.FLOAT,
    dataLocation: DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: file },
      { key: 'offset', value: String(placed.offsets[i]) },
      { key: 'length', value: String(4 * count(ref.dims)) },
    ],
  }));
  return {
    model: encodeModel(graph, [...weights, ...constants], opts),
    externalData: {
      file,
      size: placed.size,
      async *chunks() {
        let at = 0;
        for (const [i, ref] of graph.weights.entries()) {
          if (placed.offsets[i] > at) yield new Uint8Array(placed.offsets[i] - at);
          const bytes = await weightBytesOf(source, ref);
          yield bytes;
          at = placed.offsets[i] + bytes.byteLength;
        }
      },
    },
  };
}

function encodeModel(graph: Graph, initializer: TensorMessage[], opts: SerializeOptions): Uint8Array {
  const metadataProps: StringStringEntry[] = Object.entries(opts.metadata ?? {}).map(([key, value]) => ({ key, value }));
  const message = {
    irVersion: IR_VERSION,
    producerName: 'ABFT Studio',
    producerVersion: opts.producerVersion ?? '',
    opsetImport: [{ domain: '', version: OPSET }],
    metadataProps,
    graph: { name: graph.name, node: graph.nodes, initializer, input: graph.inputs, output: graph.outputs },
  };
  // A message over 2 GiB cannot be parsed by any protobuf reader; the caller moves weights out first.
  const writer = onnx.ModelProto.encode(message as unknown as protobuf.Message);
  return writer.finish();
}

function placeExternal(weights: readonly WeightRef[]): { offsets: number[]; size: number } {
  const offsets: number[] = [];
  let at = 0;
  for (const w of weights) {
    at = Math.ceil(at / EXTERNAL_ALIGNMENT) * EXTERNAL_ALIGNMENT;
    offsets.push(at);
    at += 4 * count(w.dims);
  }
  return { offsets, size: at };
}

function checkWeight(source: TensorSource, ref: WeightRef): void {
  const info = source.info(ref.name);
  if (!info) throw new Error(`ONNX export: ${source.label} has no tensor ${ref.name}, which the graph reads; the checkpoint does not match its config.json.`);
  if (info.shape.join() !== ref.dims.join()) {
    throw new Error(`ONNX export: ${ref.name} in ${source.label} has shape [${info.shape.join(', ')}], but config.json implies [${ref.dims.join(', ')}]; the checkpoint does not match its config.json.`);
  }
}

async function weightBytesOf(source: TensorSource, ref: WeightRef): Promise<Uint8Array> {
  const values = await source.read(ref.name);
  if (values.length !== count(ref.dims)) throw new Error(`ONNX export: ${ref.name} gave ${values.length} values, expected ${count(ref.dims)} for shape [${ref.dims.join(', ')}]`);
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

function constantTensor(c: ConstantTensor): TensorMessage {
  return { name: c.name, dims: c.dims, dataType: c.dataType, rawData: new Uint8Array(c.values.buffer, c.values.byteOffset, c.values.byteLength) };
}

function count(dims: readonly number[]): number {
  return dims.reduce((p, d) => p * d, 1);
}
