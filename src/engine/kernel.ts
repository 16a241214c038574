/**
 * A compute kernel: WGSL source, its entry point, the uniform parameters it reads at binding 0
 * and the storage buffers it binds at 1, 2, ... in order.
 *
 * Compile-time constants are declared in the WGSL as `const NAME: type = default;` and replaced by
 * `specialize`, so every shader file stays valid WGSL on its own while the engine can pick tile
 * sizes, head dimensions or transposition per call (WGSL `override` cannot size private arrays).
 */
export type ParamType = 'u32' | 'i32' | 'f32';
export type Access = 'read' | 'write';
export type ConstantValue = number | boolean;

export interface KernelSpec {
  readonly name: string;
  readonly source: string;
  readonly entryPoint?: string;
  /** Fields of the uniform struct at binding 0, in declaration order, as `name:type`. */
  readonly params?: readonly `${string}:${ParamType}`[];
  /** Storage buffers at bindings 1..n: 'read' is read-only storage, 'write' read-write. */
  readonly bindings: readonly Access[];
}

const defined: KernelSpec[] = [];

export function defineKernel(spec: KernelSpec): KernelSpec {
  const frozen = Object.freeze({ ...spec });
  defined.push(frozen);
  return frozen;
}

/** Every kernel defined by the modules imported so far: what the WGSL interface test checks. */
export function definedKernels(): readonly KernelSpec[] {
  return defined;
}

export function parseParams(params: KernelSpec['params']): { name: string; type: ParamType }[] {
  return (params ?? []).map((p) => {
    const [name, type] = p.split(':') as [string, ParamType];
    return { name, type };
  });
}

export function specialize(source: string, constants: Readonly<Record<string, ConstantValue>>, kernelName: string): string {
  let out = source;
  for (const [name, value] of Object.entries(constants)) {
    const re = new RegExp(`(const\\s+${name}\\s*:\\s*(\\w+)\\s*=\\s*)([^;]+);`);
    const m = re.exec(out);
    if (!m) throw new Error(`kernel ${kernelName}: the shader declares no 'const ${name}: <type> = ...;' to specialize`);
    out = out.replace(re, `$1${wgslLiteral(value, m[2], name, kernelName)};`);
  }
  return out;
}

function wgslLiteral(value: ConstantValue, type: string, name: string, kernelName: string): string {
  if (type === 'bool') return value ? 'true' : 'false';
  const v = Number(value);
  if (!Number.isFinite(v)) throw new Error(`kernel ${kernelName}: constant ${name} = ${value} is not finite`);
  switch (type) {
    case 'u32':
      if (!Number.isInteger(v) || v < 0) throw new Error(`kernel ${kernelName}: constant ${name} = ${value} is not a u32`);
      return `${v}u`;
    case 'i32':
      if (!Number.isInteger(v)) throw new Error(`kernel ${kernelName}: constant ${name} = ${value} is not an i32`);
      return `${v}i`;
    case 'f32':
      return `${v.toPrecision(9)}f`;
    default:
      throw new Error(`kernel ${kernelName}: constant ${name} has type ${type}, which cannot be specialized`);
  }
}

/** Splits a 1-D dispatch of `count` invocations into a grid that stays under the per-dimension limit. */
export function grid1d(count: number, workgroupSize: number, maxPerDim = 65535): [number, number, number] {
  const groups = Math.ceil(count / workgroupSize);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
