/**
 * ABFT improves in-context learning on the committed classroom model: a short run on a task it
 * has not learned well (word-first: the deciding word comes first and distractors follow it,
 * 0.59-0.68 before) raises its accuracy on the task's held-out test queries.
 *
 * The margin: the same run (lr 1e-3, 32 steps, pseudo-batch 32, 128 test prompts) on seeds 0, 1, 2
 * gained +0.133, +0.297 and +0.273 (README, "ABFT on the classroom model"); the test, which runs
 * seed 0, asks for +0.10, below the least of them and under half the mean gain, and still more
 * than twice the standard error of one 128-prompt accuracy (0.043 at 0.6).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAbft } from '../cli/testing/run-abft';

const MARGIN = 0.1;

describe('ABFT on the classroom model', () => {
  it(`raises the accuracy on held-out queries of a task it learned badly by at least ${MARGIN}, with heads passing the filter at every step`, async () => {
    const out = await mkdtemp(join(tmpdir(), 'abft-gain-'));
    try {
      const r = await runAbft('train', '--model', 'public/classroom-model', '--data', 'classroom/word-first', '--lr', '1e-3', '--steps', '32', '--queries', '64', '--measures', 'test', '--out', out);
      expect(r.code).toBe(0);
      const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
      const { before, after } = report.evaluation;
      console.log(`ABFT on classroom/word-first: accuracy ${before.test.accuracy} -> ${after.test.accuracy} (${before.test.count} prompts)`);
      expect(after.test.accuracy - before.test.accuracy).toBeGreaterThanOrEqual(MARGIN);
      for (const step of report.steps) expect(step.passingHeads).toBeGreaterThan(0);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 600_000);
});
