/**
 * Builds an ONNX graph node by node: each op call adds one NodeProto and returns the names of its
 * outputs, so the model code reads as the forward pass it is. Weights are referenced by name only
 * (their bytes are written when the model is serialized, see serialize.ts); small constants (shapes,
 * axes, scalars) are kept inline.
 */
import { AttributeType, DataType, valueInfo, type AttributeMessage, type DataTypeCode, type Dim, type NodeMessage, type ValueInfoMessage } from './schema';

export type AttributeValue = number | readonly number[] | { readonly float: number };

/** A weight the graph reads: its values come from a WeightSource when the model is written. */
export interface WeightRef {
  readonly name: string;
  readonly dims: readonly number[];
}

/** A small constant written inline, e.g. a Reshape's target shape. */
export interface ConstantTensor {
  readonly name: string;
  readonly dims: readonly number[];
  readonly dataType: DataTypeCode;
  readonly values: Float32Array | BigInt64Array | Uint8Array;
}

export interface Graph {
  readonly name: string;
  readonly nodes: readonly NodeMessage[];
  readonly inputs: readonly ValueInfoMessage[];
  readonly outputs: readonly ValueInfoMessage[];
  readonly weights: readonly WeightRef[];
  readonly constants: readonly ConstantTensor[];
}

export class GraphBuilder {
  private readonly nodes: NodeMessage[] = [];
  private readonly inputs: ValueInfoMessage[] = [];
  private readonly outputs: ValueInfoMessage[] = [];
  private readonly weightRefs = new Map<string, WeightRef>();
  private readonly constants = new Map<string, ConstantTensor>();
  private readonly used = new Set<string>();
  /** The name prefix of the nodes being added, e.g. "/model/layers.3/attn". */
  private scope = '';

  constructor(private readonly name: string) {}

  input(name: string, dataType: DataTypeCode, dims: readonly Dim[]): string {
    this.claim(name);
    this.inputs.push(valueInfo(name, dataType, dims));
    return name;
  }

  /** Declares `value` as a graph output under `name` (an Identity renames it). */
  output(value: string, name: string, dataType: DataTypeCode, dims: readonly Dim[]): void {
    this.node('Identity', [value], {}, [name]);
    this.outputs.push(valueInfo(name, dataType, dims));
  }

  /** A weight by its checkpoint name; referencing it twice (a tied LM head) shares one initializer. */
  weight(name: string, dims: readonly number[]): string {
    const known = this.weightRefs.get(name);
    if (known) {
      if (known.dims.join() !== dims.join()) throw new Error(`onnx graph: weight ${name} is used as [${dims}] and as [${known.dims}]`);
      return name;
    }
    this.claim(name);
    this.weightRefs.set(name, { name, dims });
    return name;
  }

  /** An int64 constant (shapes, axes, indices), shared between nodes that use the same values. */
  ints(values: readonly number[], dims: readonly number[] = [values.length]): string {
    return this.constant(`const_i64_${dims.join('x')}_${values.join('_')}`, dims, DataType.INT64, BigInt64Array.from(values, (v) => BigInt(v)));
  }

  /** A float32 constant; a scalar when `dims` is []. */
  floats(name: string, values: ArrayLike<number>, dims: readonly number[]): string {
    return this.constant(name, dims, DataType.FLOAT, Float32Array.from(values));
  }

  scalar(value: number): string {
    return this.floats(`const_f32_${value}`, [value], []);
  }

  /** Runs `body` with node names prefixed by `scope`, which makes the graph readable in Netron. */
  within<T>(scope: string, body: () => T): T {
    const outer = this.scope;
    this.scope = `${outer}/${scope}`;
    try {
      return body();
    } finally {
      this.scope = outer;
    }
  }

  /** Adds one node; returns its first output's name. */
  op(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>> = {}): string {
    return this.node(opType, inputs, attributes, 1)[0];
  }

  /** Adds one node with `outputs` outputs (a count, or the names to give them). */
  node(opType: string, inputs: readonly string[], attributes: Readonly<Record<string, AttributeValue>>, outputs: number | readonly string[]): string[] {
    const nodeName = this.fresh(`${this.scope}/${opType}`);
    const names = typeof outputs === 'number' ? Array.from({ length: outputs }, (_, i) => this.fresh(`${nodeName}_output_${i}`)) : outputs.map((n) => this.claim(n));
    this.nodes.push({ name: nodeName, opType, input: inputs, output: names, attribute: Object.entries(attributes).map(([name, value]) => attribute(name, value)) });
    return names;
  }

  build(): Graph {
    return {
      name: this.name,
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: this.outputs,
      weights: [...this.weightRefs.values()],
      constants: [...this.constants.values()],
    };
  }

  private constant(name: string, dims: readonly number[], dataType: DataTypeCode, values: ConstantTensor['values']): string {
    if (!this.constants.has(name)) {
      this.claim(name);
      this.constants.set(name, { name, dims, dataType, values });
    }
    return name;
  }

  private claim(name: string): string {
    if (this.used.has(name)) throw new Error(`onnx graph: the value name ${name} is used twice`);
    this.used.add(name);
    return name;
  }

  private fresh(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    return this.claim(name);
  }
}

function attribute(name: string, value: AttributeValue): AttributeMessage {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) throw new Error(`onnx graph: attribute ${name} = ${value} is not an integer; pass { float: ${value} } for a float attribute`);
    return { name, type: AttributeType.INT, i: value };
  }
  if ('float' in value) return { name, type: AttributeType.FLOAT, f: value.float };
  return { name, type: AttributeType.INTS, ints: value };
}
