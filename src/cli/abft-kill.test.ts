/**
 * `abft train --checkpoint-every 1` killed (SIGKILL) again and again, each time right as it writes
 * into --out: checkpoint.safetensors must always be a complete checkpoint that resumes. Runs the
 * bundled CLI as a child process, the way a user's kill reaches it.
 */
import { spawn } from 'node:child_process';
import { existsSync, watch } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { beforeAll, describe, expect, it } from 'vitest';
import { readTrainingStateInfo } from '../train/checkpoint';
import { tinyModelFolder } from './testing/tiny-model-folder';

const tmp = tinyModelFolder('abft-kill-', 'llama');
// Inside the project, so the bundle finds the `webgpu` package it leaves external.
const BUNDLE_DIR = resolve('node_modules/.cache/abft-kill-test');
const SHORT = ['--data', 'synthetic', '--ablation', 'no-filter', '--pseudo-batch', '4', '--micro-batch', '4', '--train-prompts', '8', '--queries', '0', '--lr', '1e-2'];
const ROUNDS = 6;

beforeAll(async () => {
  const entry = process.env.NODE_ENTRY;
  process.env.NODE_ENTRY = 'abft';
  try {
    await build({ configFile: 'vite.node.config.ts', logLevel: 'warn', build: { outDir: BUNDLE_DIR } });
  } finally {
    if (entry === undefined) delete process.env.NODE_ENTRY;
    else process.env.NODE_ENTRY = entry;
  }
});

/** Runs `abft train` and kills it at the `killAt`-th change in `out` (a file created, written or renamed); resolves once it has exited. */
function trainUntilKilled(args: readonly string[], out: string, killAt: number): Promise<{ killed: boolean }> {
  const child = spawn(process.execPath, [join(BUNDLE_DIR, 'abft.mjs'), 'train', ...args], { stdio: 'ignore' });
  let changes = 0;
  const watcher = watch(out, () => {
    if (++changes === killAt) child.kill('SIGKILL');
  });
  return new Promise((done) =>
    child.on('exit', (_code, signal) => {
      watcher.close();
      done({ killed: signal === 'SIGKILL' });
    }),
  );
}

describe('abft train killed while it writes its checkpoint', () => {
  it('always leaves a complete checkpoint.safetensors, whose steps never go back, and no temporary file after a clean run', async () => {
    const out = join(tmp.dir, 'run');
    const checkpoint = join(out, 'checkpoint.safetensors');
    await mkdir(out, { recursive: true });
    let stepsDone = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const resume = existsSync(checkpoint) ? ['--resume', checkpoint] : [];
      const { killed } = await trainUntilKilled(['--model', tmp.modelDir, ...SHORT, '--steps', '1000', '--checkpoint-every', '1', '--out', out, ...resume], out, 3 + round);
      expect(killed).toBe(true);
      if (!existsSync(checkpoint)) continue;
      const info = await readTrainingStateInfo(await readFile(checkpoint));
      expect(info.stepsDone).toBeGreaterThanOrEqual(stepsDone);
      stepsDone = info.stepsDone;
    }
    expect(stepsDone).toBeGreaterThan(0);

    // A run that ends normally clears what the kills left behind.
    const child = spawn(process.execPath, [join(BUNDLE_DIR, 'abft.mjs'), 'train', '--model', tmp.modelDir, ...SHORT, '--steps', String(stepsDone + 1), '--out', out, '--resume', checkpoint], { stdio: 'ignore' });
    expect(await new Promise((done) => child.on('exit', done))).toBe(0);
    expect((await readTrainingStateInfo(await readFile(checkpoint))).stepsDone).toBe(stepsDone + 1);
    expect((await readdir(out)).filter((name) => name.includes('.partial-'))).toEqual([]);
  });
});
