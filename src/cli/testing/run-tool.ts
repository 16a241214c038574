import { testEngine } from '../../engine/testing/gpu';
import { runTool, type CliTool } from '../run';

/** Runs a Node tool in-process on the tests' shared engine, with its output lines captured. */
export async function runToolCaptured(tool: CliTool, ...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runTool(tool, argv, { stdout: (l) => out.push(l), stderr: (l) => err.push(l), engine: testEngine });
  return { code, out, err };
}
