/**
 * Pretraining from scratch in the worker, in Node on Dawn, through the same `handle` the browser
 * worker runs: a tiny recipe's progress messages, the head scores, the pretrained model taking
 * the loaded one's place (and its weights being those trained), stop between steps, and a bad
 * recipe refused with the field and value named while the loaded model stays.
 */
import { describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { memoryFolder } from '../model/files';
import { loadModel, releaseModel } from '../model/load';
import { parsePretrainConfig } from '../pretrain/config';
import { initialModelFiles } from '../pretrain/initial-model';
import { labelAttentionProbe, labelAttentionScores } from '../pretrain/label-attention';
import type { PretrainProgress, WorkerMessage, WorkerRequest } from '../train/protocol';
import { handle, toWorkerError } from './handle';
import type { WorkerState } from './state';
import { nodeWorkerState, tinyModelSource } from './testing/node-state';

/** 2 layers, hidden 16, 2 heads, 32-token sequences, batch 4, 3 steps: seconds on lavapipe. */
const TINY = {
  architecture: 'llama',
  model: { layers: 2, hidden: 16, heads: 2, intermediate: 32 },
  corpus: { seed: 3, length: 32 },
  steps: 3,
  batch: { sequences: 4 },
  optimizer: { lr: 3e-3, warmupSteps: 1 },
  eval: { every: 2, sequences: 4 },
};

let nextId = 1;
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function call(state: WorkerState, request: Request) {
  return handle(state, { ...request, id: nextId++ } as WorkerRequest);
}

const progressOf = (posted: readonly WorkerMessage[]): PretrainProgress[] => posted.flatMap((m) => (m.type === 'pretrain-progress' ? [m.progress] : []));

function expectScores(scores: readonly (readonly number[])[]): void {
  expect(scores).toHaveLength(TINY.model.layers);
  for (const layer of scores) {
    expect(layer).toHaveLength(TINY.model.heads);
    for (const s of layer) expect(s >= 0 && s <= 1).toBe(true);
  }
}

describe('pretraining from scratch in the worker', () => {
  it('reports every step, head scores and evaluations, then hosts the pretrained model in place of the loaded one', async () => {
    const e = await testEngine();
    const { state, posted } = await nodeWorkerState();
    await call(state, { type: 'load-model', source: tinyModelSource() });
    const withTiny = e.memory().inUseBytes;

    const reply = await call(state, { type: 'start-pretraining', config: TINY, measureEvery: 2 });
    expect(reply).toMatchObject({ type: 'pretrain-ended', outcome: 'done', stepsDone: 3, message: null });
    if (reply.type !== 'pretrain-ended') throw new Error('unreachable');
    expect(reply.model).toMatchObject({ label: 'pretrained here from scratch (3 of 3 steps)', layers: 2, heads: 2, hidden: 16, tokenizer: true, frozenDType: 'f32' });
    expect(posted.find((m) => m.type === 'model-released')).toEqual({ id: null, type: 'model-released', label: 'tiny' });

    const progress = progressOf(posted);
    // Heads before the first step, every 2 steps and at the last; evaluations every 2 steps (eval.every) and at the last.
    expect(progress.map((p) => `${p.kind}${'step' in p ? ` ${p.step}` : ''}`)).toEqual([
      'started', 'heads 0', 'step 1', 'step 2', 'heads 2', 'evaluating 2', 'eval 2', 'step 3', 'evaluating 3', 'eval 3', 'heads 3',
    ]);
    expect(progress.find((p) => p.kind === 'evaluating')).toMatchObject({ sequences: 8 });
    expect(progress[0]).toMatchObject({ kind: 'started', steps: 3, layers: 2, heads: 2 });
    const steps = progress.filter((p) => p.kind === 'step');
    for (const s of steps) {
      expect(Number.isFinite(s.loss)).toBe(true);
      expect(s.lr).toBeGreaterThan(0);
      expect(s.ms).toBeGreaterThan(0);
    }
    expect(steps[2].tokens).toBeGreaterThan(steps[0].tokens);
    const heads = progress.filter((p) => p.kind === 'heads');
    heads.forEach((h) => expectScores(h.scores));
    for (const ev of progress.filter((p) => p.kind === 'eval')) {
      for (const v of [ev.heldOut.recoverable, ev.heldOut.unseen, ev.train.copyBaseline]) expect(v >= 0 && v <= 1).toBe(true);
    }

    // The loaded model answers, and its weights are the trained ones: the last head scores come back from it, and from its download.
    const attention = await call(state, { type: 'attention', input: { kind: 'text', text: 'Input: red Label: zebra \n Input: red Label:' }, rows: 'last' });
    if (attention.type !== 'attention') throw new Error(`expected attention, got ${attention.type}`);
    expect(attention.attention.probabilities).toHaveLength(2);
    const config = parsePretrainConfig(TINY, 'TINY');
    const probe = labelAttentionProbe(config);
    const hosted = state.model!.model;
    expect(await labelAttentionScores(e, hosted.spec, hosted.weights, probe, 4)).toEqual(heads.at(-1)!.scores);
    const download = await call(state, { type: 'export-weights' });
    if (download.type !== 'export-weights') throw new Error(`expected export-weights, got ${download.type}`);
    const reloaded = await loadModel(e, memoryFolder('download', { ...initialModelFiles(config), 'model.safetensors': download.bytes }));
    expect(await labelAttentionScores(e, reloaded.spec, reloaded.weights, probe, 4)).toEqual(heads.at(-1)!.scores);
    releaseModel(reloaded);

    // Neither the pretraining's optimizer state nor the pretrained model stays on the GPU once another model is loaded.
    await call(state, { type: 'load-model', source: tinyModelSource() });
    expect(e.memory().inUseBytes).toBe(withTiny);
  });

  it('stops between steps, refuses other runs and loads meanwhile, and hosts the model as far as it got', async () => {
    let state: WorkerState | null = null;
    const refusals: string[] = [];
    const worker = await nodeWorkerState(undefined, (message) => {
      if (message.type !== 'pretrain-progress' || message.progress.kind !== 'step' || message.progress.step !== 1) return;
      const refused = (request: Request) => call(state!, request).then((r) => `replied ${r.type}`, (error) => toWorkerError(error).message);
      void Promise.all([refused({ type: 'load-model', source: tinyModelSource() }), refused({ type: 'start-pretraining', config: TINY })]).then((r) => refusals.push(...r));
      void call(state!, { type: 'stop' });
    });
    state = worker.state;
    const reply = await call(state, { type: 'start-pretraining', config: { ...TINY, steps: 50, eval: { every: 0, sequences: 2 } } });
    expect(reply).toMatchObject({ type: 'pretrain-ended', outcome: 'stopped', message: null });
    if (reply.type !== 'pretrain-ended') throw new Error('unreachable');
    expect(reply.stepsDone).toBeGreaterThanOrEqual(1);
    expect(reply.stepsDone).toBeLessThan(50);
    expect(reply.model.label).toBe(`pretrained here from scratch (${reply.stepsDone} of 50 steps)`);
    expect(refusals).toEqual([
      'A model is being pretrained from scratch; stop it before loading another model.',
      'A model is being pretrained from scratch; stop it before pretraining a model.',
    ]);
    const progress = progressOf(worker.posted);
    // A stopped run skips the final evaluation but scores the heads of the weights it hands over.
    expect(progress.filter((p) => p.kind === 'eval')).toEqual([]);
    expect(progress.at(-1)).toMatchObject({ kind: 'heads', step: reply.stepsDone });
    expect(state.model?.model.label).toBe(reply.model.label);
  });

  it('refuses a bad recipe with the field and value named, and the loaded model stays', async () => {
    const { state, posted } = await nodeWorkerState();
    await call(state, { type: 'load-model', source: tinyModelSource() });
    const refused = (request: Request) => call(state, request).then((r) => r.type, toWorkerError);
    expect(await refused({ type: 'start-pretraining', config: { ...TINY, batch: { sequences: 0 } } })).toEqual({
      kind: 'input',
      message: 'the pretraining recipe: batch.sequences is 0; it must be a whole number of at least 1',
    });
    expect(await refused({ type: 'start-pretraining', config: { ...TINY, steps: 'many' } })).toEqual({
      kind: 'input',
      message: 'the pretraining recipe: steps is "many"; it must be a whole number of at least 1',
    });
    expect(await refused({ type: 'start-pretraining', config: TINY, measureEvery: 0 })).toEqual({
      kind: 'input',
      message: 'measureEvery is 0; it must be a whole number of at least 1 (the steps between head scores).',
    });
    expect(state.model?.model.label).toBe('tiny');
    expect(posted.some((m) => m.type === 'model-released' || m.type === 'pretrain-progress')).toBe(false);
  });
});
