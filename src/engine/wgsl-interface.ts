/**
 * Checks a kernel's TypeScript description against its WGSL: the uniform struct its entry point
 * reads must list the same fields, in the same order and types, as `params` (the engine packs the
 * uniform buffer from `params`, so a field out of order reads another field's bytes without any
 * error), and the storage buffers it reads and writes must be the bindings `bindings` declares,
 * with the same access. Only what the entry point reaches counts: a shader file holds several
 * kernels, each with its own variables.
 */
import { parseParams, type KernelSpec } from './kernel';

interface GlobalVar {
  readonly name: string;
  readonly binding: number;
  /** 'uniform', 'read' or 'read_write'. */
  readonly space: string;
  readonly type: string;
}

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/[^\n]*/g, '');
}

function structsOf(source: string): Map<string, { name: string; type: string }[]> {
  const structs = new Map<string, { name: string; type: string }[]>();
  for (const [, name, body] of source.matchAll(/\bstruct\s+(\w+)\s*\{([^}]*)\}/g)) {
    const fields = [...body.matchAll(/(\w+)\s*:\s*([\w<>]+)/g)].map(([, field, type]) => ({ name: field, type }));
    structs.set(name, fields);
  }
  return structs;
}

function globalsOf(source: string): GlobalVar[] {
  const pattern = /@group\(\s*0\s*\)\s*@binding\(\s*(\d+)\s*\)\s*var<\s*(uniform|storage)\s*(?:,\s*(read|read_write)\s*)?>\s*(\w+)\s*:\s*([^;]+);/g;
  return [...source.matchAll(pattern)].map(([, binding, space, access, name, type]) => ({
    name,
    binding: Number(binding),
    space: space === 'uniform' ? 'uniform' : (access ?? 'read'),
    type: type.trim(),
  }));
}

/** Each function's body (between its braces), by name. */
function functionsOf(source: string): Map<string, string> {
  const functions = new Map<string, string>();
  for (const match of source.matchAll(/\bfn\s+(\w+)\s*\(/g)) {
    const open = source.indexOf('{', match.index);
    let depth = 0;
    for (let i = open; i < source.length; i++) {
      if (source[i] === '{') depth++;
      else if (source[i] === '}' && --depth === 0) {
        functions.set(match[1], source.slice(open + 1, i));
        break;
      }
    }
  }
  return functions;
}

/** The bodies of the entry point and of every function it calls, directly or not. */
function reachedBodies(functions: Map<string, string>, entryPoint: string): string[] {
  const reached = new Set([entryPoint]);
  const queue = [entryPoint];
  while (queue.length > 0) {
    for (const [, callee] of functions.get(queue.pop()!)!.matchAll(/\b(\w+)\s*\(/g)) {
      if (functions.has(callee) && !reached.has(callee)) {
        reached.add(callee);
        queue.push(callee);
      }
    }
  }
  return [...reached].map((name) => functions.get(name)!);
}

/** What in `spec` disagrees with its WGSL, one sentence each; empty when they agree. */
export function kernelInterfaceProblems(spec: KernelSpec): string[] {
  const source = stripComments(spec.source);
  const entryPoint = spec.entryPoint ?? 'main';
  const functions = functionsOf(source);
  if (!functions.has(entryPoint)) return [`kernel ${spec.name}: the shader has no function ${entryPoint}`];
  const bodies = reachedBodies(functions, entryPoint).join('\n');
  // Not after a dot: `gid.x` is no use of a variable x.
  const used = globalsOf(source).filter((g) => new RegExp(`(?<![.\\w])${g.name}\\b`).test(bodies));
  const problems: string[] = [];

  const params = parseParams(spec.params).map((p) => `${p.name}: ${p.type}`);
  const uniforms = used.filter((g) => g.space === 'uniform');
  if (uniforms.length > 1) problems.push(`kernel ${spec.name}: ${entryPoint} reads ${uniforms.length} uniforms (${uniforms.map((u) => u.name).join(', ')}); the engine binds one`);
  const uniform = uniforms[0];
  if (uniform) {
    const fields = structsOf(source).get(uniform.type);
    const declared = fields ? fields.map((f) => `${f.name}: ${f.type}`) : null;
    if (uniform.binding !== 0) problems.push(`kernel ${spec.name}: its uniform ${uniform.name} is at binding ${uniform.binding}; the engine binds it at 0`);
    if (!declared) problems.push(`kernel ${spec.name}: its uniform ${uniform.name} has type ${uniform.type}, which is no struct of the shader`);
    else if (declared.join(', ') !== params.join(', ')) {
      problems.push(`kernel ${spec.name}: struct ${uniform.type} is { ${declared.join(', ')} } but params are [${params.join(', ')}]; list them in the struct's order`);
    }
  } else if (params.length > 0) {
    problems.push(`kernel ${spec.name}: params are [${params.join(', ')}] but ${entryPoint} reads no uniform`);
  }

  const storage = used.filter((g) => g.space !== 'uniform');
  for (const g of storage) {
    const access = spec.bindings[g.binding - 1];
    const wanted = access === 'write' ? 'read_write' : 'read';
    if (access === undefined) problems.push(`kernel ${spec.name}: ${g.name} is at binding ${g.binding} but bindings declare 1..${spec.bindings.length}`);
    else if (g.space !== wanted) problems.push(`kernel ${spec.name}: ${g.name} at binding ${g.binding} is ${g.space} in the shader, '${access}' in bindings`);
  }
  for (let b = 1; b <= spec.bindings.length; b++) {
    const at = storage.filter((g) => g.binding === b);
    if (at.length === 0) problems.push(`kernel ${spec.name}: bindings declare binding ${b}, which ${entryPoint} never uses`);
    if (at.length > 1) problems.push(`kernel ${spec.name}: ${entryPoint} uses ${at.map((g) => g.name).join(' and ')}, both at binding ${b}`);
  }
  return problems;
}
