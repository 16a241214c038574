import { testEngine } from '../../engine/testing/gpu';
import { main } from '../abft';

/** Runs the `abft` command in-process on the tests' shared engine, with its output lines captured. */
export async function runAbft(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), engine: testEngine });
  return { code, out, err };
}
