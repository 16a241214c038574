import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { tinyModelFiles } from '../model/testing/tiny-models';
import { DEFAULT_BENCH_OPTIONS, type BenchOptions } from './options';
import { benchModel, type TaskResult } from './step-bench';

const OPTIONS: BenchOptions = { ...DEFAULT_BENCH_OPTIONS, tasks: ['abft', 'eval', 'end-to-end'], pseudoBatch: 2, microBatch: 1, tokens: 24, warmup: 1, reps: 2 };

describe('step benchmark on a tiny GPT-2', () => {
  it('reports every task with the work it must do, what it executed, its encoding and its memory', async () => {
    const e = await testEngine();
    const config = JSON.parse(tinyModelFiles('gpt2', { layers: 2 })['config.json'] as string);
    const results = (await benchModel(e, 'tiny-gpt2', OPTIONS, () => {}, config)) as TaskResult[];
    expect(results.map((r) => ('skipped' in r ? r.skipped : r.task))).toEqual(['abft', 'eval', 'end-to-end']);
    for (const r of results) {
      expect(r.shapes).toEqual({ pseudoBatch: 2, microBatch: 1, tokensPerPrompt: 24, tokensPerStep: 48 });
      expect(r.msPerStep.median).toBeGreaterThan(0);
      expect(r.kernels!.length).toBeGreaterThan(0);
      expect(r.memory.peakBytes).toBeGreaterThanOrEqual(r.memory.steadyBytes);
    }
    const [abft, evaluation, endToEnd] = results;
    // Training waits for the GPU once per step, at its end (the update is gated on the GPU); evaluation
    // requests every micro-batch's logits before awaiting any. Each micro-batch's uploads split the
    // command buffer, which bounds the submits.
    const microBatches = OPTIONS.pseudoBatch / OPTIONS.microBatch;
    expect([abft.hostWaitsPerStep, endToEnd.hostWaitsPerStep, evaluation.hostWaitsPerStep]).toEqual([1, 1, microBatches]);
    for (const r of results) expect(r.submitsPerStep).toBeLessThanOrEqual(1 + 2 * microBatches);
    // The ABFT step runs exactly the products it must (no MLP or LM head after the last attention).
    expect(abft.executed!.matmulFlops).toBeCloseTo(abft.flopsPerStep.projections, -3);
    expect(abft.memory.optimizerStateBytes).toBeGreaterThan(0);
  });
});
