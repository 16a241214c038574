import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { definedKernels } from './kernel';
import { kernelInterfaceProblems } from './wgsl-interface';

const SRC = join(__dirname, '..');

/** The modules of src that define kernels, found by their text so that a new one is never missed. */
async function kernelModules(): Promise<{ path: string; count: number }[]> {
  const files = (await readdir(SRC, { recursive: true })).filter((f) => /\.ts$/.test(f) && !/\.test\.ts$/.test(f) && !f.endsWith('kernel.ts'));
  const modules = await Promise.all(files.map(async (f) => ({ path: join(SRC, f), count: ((await readFile(join(SRC, f), 'utf8')).match(/\bdefineKernel\(\{/g) ?? []).length })));
  return modules.filter((m) => m.count > 0);
}

const SHADER = `
struct Params { rows: u32, cols: u32, scale: f32 }
struct Other { n: u32 }
@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(0) var<uniform> o: Other;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
// the other kernel's output
@group(0) @binding(1) var<storage, read_write> z: array<f32>;
fn at(i: u32) -> f32 { return x[i] * p.scale; }
@compute @workgroup_size(64)
fn scale_rows(@builtin(global_invocation_id) gid: vec3u) { if (gid.x < p.rows * p.cols) { y[gid.x] = at(gid.x); } }
@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) gid: vec3u) { if (gid.x < o.n) { z[gid.x] = 0.0; } }
`;

describe('kernel parameters against their WGSL', () => {
  it('agree for every kernel of the project', async () => {
    const modules = await kernelModules();
    for (const m of modules) await import(m.path);
    const kernels = definedKernels();
    expect(kernels.length, `kernels defined in ${modules.map((m) => relative(SRC, m.path)).join(', ')}`).toBeGreaterThanOrEqual(modules.reduce((n, m) => n + m.count, 0));
    expect(kernels.flatMap(kernelInterfaceProblems)).toEqual([]);
  });

  it('follows the calls of the entry point, and tells its own uniform from the other kernels of the file', () => {
    const spec = { name: 'scale_rows', source: SHADER, entryPoint: 'scale_rows', params: ['rows:u32', 'cols:u32', 'scale:f32'], bindings: ['read', 'write'] } as const;
    expect(kernelInterfaceProblems(spec)).toEqual([]);
    expect(kernelInterfaceProblems({ name: 'fill', source: SHADER, entryPoint: 'fill', params: ['n:u32'], bindings: ['write'] })).toEqual([]);
  });

  it('names a field out of order, a missing entry point, a wrong access and a binding the shader never uses', () => {
    const base = { name: 'scale_rows', source: SHADER, entryPoint: 'scale_rows' } as const;
    expect(kernelInterfaceProblems({ ...base, params: ['cols:u32', 'rows:u32', 'scale:f32'], bindings: ['read', 'write'] })).toEqual([
      'kernel scale_rows: struct Params is { rows: u32, cols: u32, scale: f32 } but params are [cols: u32, rows: u32, scale: f32]; list them in the struct\'s order',
    ]);
    expect(kernelInterfaceProblems({ ...base, params: ['rows:u32', 'cols:u32', 'scale:i32'], bindings: ['read', 'read'] })).toEqual([
      'kernel scale_rows: struct Params is { rows: u32, cols: u32, scale: f32 } but params are [rows: u32, cols: u32, scale: i32]; list them in the struct\'s order',
      "kernel scale_rows: y at binding 2 is read_write in the shader, 'read' in bindings",
    ]);
    expect(kernelInterfaceProblems({ ...base, params: ['rows:u32', 'cols:u32', 'scale:f32'], bindings: ['read', 'write', 'write'] })).toEqual([
      'kernel scale_rows: bindings declare binding 3, which scale_rows never uses',
    ]);
    expect(kernelInterfaceProblems({ ...base, entryPoint: 'scale', bindings: [] })).toEqual(['kernel scale_rows: the shader has no function scale']);
  });
});
