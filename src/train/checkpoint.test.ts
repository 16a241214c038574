import { describe, expect, it } from 'vitest';
import { preparePrompts, type PreparedPrompt } from '../abft/prepared';
import { labelTargets } from '../abft/label-scoring';
import { templateOf } from '../abft/prompts';
import { sampleTrainingPrompts } from '../abft/sampling';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import type { Engine } from '../engine/engine';
import { testEngine } from '../engine/testing/gpu';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel, type LoadedModel } from '../model/load';
import type { Architecture } from '../model/spec';
import { tinyModelFiles } from '../model/testing/tiny-models';
import { dataFingerprint, optionDifferences, readTrainingStateInfo, restoreTrainingState, saveTrainingState } from './checkpoint';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from './options';
import { Trainer, type StepMetrics } from './trainer';

const template = templateOf(syntheticPrompt(2));
const rows = syntheticSentiment({ size: 64, seed: 1 }).rows;
const META = { modelLabel: 'tiny llama', dataFingerprint: 'data-1' };

// A random tiny model passes no head through the paper's filter (see trainer.test.ts), so no gradient without 'none'.
const OPTIONS: TrainOptions = {
  ...DEFAULT_TRAIN_OPTIONS,
  abft: { ...DEFAULT_TRAIN_OPTIONS.abft, headFilter: 'none' },
  pseudoBatch: 4,
  microBatch: 2,
  steps: 4,
  lr: 1e-2,
};

interface Run {
  readonly e: Engine;
  readonly model: LoadedModel;
  readonly trainer: Trainer;
}

/** A freshly loaded model and a new Trainer, as a resumed process would have them. */
async function fresh(arch: Architecture = 'llama', options: TrainOptions = OPTIONS): Promise<Run> {
  const e = await testEngine();
  const model = await loadModel(e, memoryFolder(`tiny ${arch}`, tinyModelFiles(arch)));
  const prompts: PreparedPrompt[] = preparePrompts(model.tokenizer!, template, sampleTrainingPrompts(rows, 8, 4, 5), {
    maxPositions: model.spec.maxPositions,
    what: 'training prompt',
  });
  return { e, model, trainer: new Trainer(e, model, prompts, options, labelTargets(model.tokenizer!, template, options.labelScoring)) };
}

async function weights(run: Run): Promise<number[][]> {
  return Promise.all(run.trainer.trainables().map(async (t) => Array.from(await run.e.read(t.param))));
}

/** Everything a step reports except its timing. */
function comparable(m: StepMetrics): Omit<StepMetrics, 'ms' | 'tokensPerSecond'> {
  const { ms: _ms, tokensPerSecond: _tps, ...rest } = m;
  return rest;
}

function close(run: Run): void {
  run.trainer.release();
  releaseModel(run.model);
}

async function steps(run: Run, n: number): Promise<StepMetrics[]> {
  const out: StepMetrics[] = [];
  for (let i = 0; i < n; i++) out.push(await run.trainer.step());
  return out;
}

describe('training checkpoints', () => {
  it('N steps straight equal K steps, save, restore into a fresh model and Trainer, N - K steps (bit for bit)', async () => {
    const straight = await fresh();
    const straightMetrics = await steps(straight, 4);
    const straightWeights = await weights(straight);
    const straightState = straight.trainer.state();
    close(straight);

    const first = await fresh();
    const firstMetrics = await steps(first, 2);
    const bytes = await saveTrainingState(first.e, first.trainer, { ...META, options: OPTIONS });
    close(first);

    const info = await readTrainingStateInfo(bytes);
    expect(info).toMatchObject({ ...META, stepsDone: 2, options: OPTIONS });
    const resumed = await fresh();
    await restoreTrainingState(resumed.e, resumed.trainer, bytes, META);
    expect(resumed.trainer.steps).toBe(2);
    const restMetrics = await steps(resumed, 2);

    expect([...firstMetrics, ...restMetrics].map(comparable)).toEqual(straightMetrics.map(comparable));
    expect(await weights(resumed)).toEqual(straightWeights);
    expect(resumed.trainer.state()).toEqual(straightState);
    expect(straightWeights.length).toBe(2 * 2); // q and k weights of 2 layers (Llama: no biases)
    close(resumed);
  });

  it('refuses a checkpoint of another model, other data, other options or another file, naming the difference', async () => {
    const saved = await fresh();
    await steps(saved, 1);
    const bytes = await saveTrainingState(saved.e, saved.trainer, { ...META, options: OPTIONS });
    close(saved);

    const run = await fresh();
    const before = await weights(run);
    await expect(restoreTrainingState(run.e, run.trainer, bytes, { ...META, modelLabel: 'other' })).rejects.toThrow(/trained on model tiny llama, but this run loads other/);
    await expect(restoreTrainingState(run.e, run.trainer, bytes, { ...META, dataFingerprint: 'data-2' })).rejects.toThrow(/other data/);
    await expect(restoreTrainingState(run.e, run.trainer, new TextEncoder().encode('not a checkpoint'), META)).rejects.toThrow(/not an ABFT Studio training checkpoint/);
    expect(await weights(run)).toEqual(before);
    expect(run.trainer.steps).toBe(0);
    close(run);

    const otherLr = await fresh('llama', { ...OPTIONS, lr: 1e-3, steps: 9 });
    await expect(restoreTrainingState(otherLr.e, otherLr.trainer, bytes, META)).rejects.toThrow(/other options \(lr: checkpoint 0\.01, this run 0\.001\)/);
    close(otherLr);

    const gpt2 = await fresh('gpt2');
    await expect(restoreTrainingState(gpt2.e, gpt2.trainer, bytes, META)).rejects.toThrow(/from another model/);
    close(gpt2);
  });

  it('reads a checkpoint from before the label scoring option as scored by sequence, and refuses to resume it under another rule', async () => {
    const run = await fresh();
    const { labelScoring: _, ...older } = OPTIONS;
    const bytes = await saveTrainingState(run.e, run.trainer, { ...META, options: older as TrainOptions });
    close(run);
    expect((await readTrainingStateInfo(bytes)).options).toEqual({ ...OPTIONS, labelScoring: 'sequence' });
    const byFirst = await fresh('llama', { ...OPTIONS, labelScoring: 'first' });
    await expect(restoreTrainingState(byFirst.e, byFirst.trainer, bytes, META)).rejects.toThrow(/other options \(labelScoring: checkpoint "sequence", this run "first"\)/);
    close(byFirst);
  });

  it('compares options one by one, whatever their key order, all but the number of steps', () => {
    const reordered = Object.fromEntries(Object.entries(OPTIONS).reverse()) as unknown as TrainOptions;
    expect(JSON.stringify(reordered)).not.toBe(JSON.stringify(OPTIONS));
    expect(optionDifferences(OPTIONS, { ...reordered, steps: OPTIONS.steps + 5 })).toEqual([]);
    expect(optionDifferences(OPTIONS, { ...reordered, lr: 0.5 })).toEqual([`lr: checkpoint ${OPTIONS.lr}, this run 0.5`]);
  });

  it('fingerprints the data: stable, and different for other rows or another template', async () => {
    const a = await dataFingerprint(rows, template);
    expect(await dataFingerprint([...rows], { ...template })).toBe(a);
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(await dataFingerprint(rows.slice(1), template)).not.toBe(a);
    expect(await dataFingerprint(rows, { ...template, inputPrefix: 'text: ' })).not.toBe(a);
    expect(await dataFingerprint(rows, template, 'prompts 512')).not.toBe(a);
  });
});
