/**
 * The worker's requests in Node, on Dawn, through the same `handle` the browser worker runs on each
 * message: load a tiny model, preview a prompt, attention maps, train and continue, autosave and
 * restore the autosave in a fresh worker (a reloaded page), checkpoints.
 */
import { describe, expect, it } from 'vitest';
import { templateOf } from '../abft/prompts';
import { syntheticPrompt } from '../data/synthetic';
import { DEFAULT_TRAIN_OPTIONS, type TrainOptions } from '../train/options';
import type { AttentionResult, TrainingData, WorkerMessage, WorkerRequest } from '../train/protocol';
import { handle, toWorkerError } from './handle';
import type { WorkerState } from './state';
import { nodeWorkerState, tinyModelSource } from './testing/node-state';

const DATA: TrainingData = { kind: 'synthetic', size: 64, seed: 1 };
const OPTIONS: TrainOptions = { ...DEFAULT_TRAIN_OPTIONS, abft: { ...DEFAULT_TRAIN_OPTIONS.abft, headFilter: 'none' }, pseudoBatch: 4, microBatch: 4, steps: 3, k: 2, lr: 1e-2 };

let nextId = 1;
type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

/** The reply to `request`, which must be of the type asked for (an error reply fails with its message). */
async function call<T extends WorkerMessage['type']>(state: WorkerState, request: Request, type: T): Promise<Extract<WorkerMessage, { type: T }>> {
  const reply = await handle(state, { ...request, id: nextId++ } as WorkerRequest);
  if (reply.type !== type) throw new Error(`expected a ${type} reply, got ${JSON.stringify(reply).slice(0, 300)}`);
  return reply as Extract<WorkerMessage, { type: T }>;
}

async function loadedWorker(onPost?: (state: WorkerState, message: WorkerMessage) => void, store?: Parameters<typeof nodeWorkerState>[0]) {
  let state: WorkerState | null = null;
  const worker = await nodeWorkerState(store, (message) => onPost?.(state!, message));
  state = worker.state;
  const { model } = await call(state, { type: 'load-model', source: tinyModelSource() }, 'load-model');
  return { ...worker, model };
}

const lastTokenMaps = (state: WorkerState, weights: 'trained' | 'base') =>
  call(state, { type: 'attention', input: { kind: 'prompt', index: 0 }, rows: 'last', weights }, 'attention').then((r) => r.attention);

describe('the worker handlers on one state', () => {
  it('load a model, preview a prompt and map its attention, each row of which sums to 1', async () => {
    const { state, posted, model } = await loadedWorker();
    expect(model).toMatchObject({ label: 'tiny', tokenizer: true, frozenDType: 'f32' });
    expect(posted.some((m) => m.type === 'progress')).toBe(true);

    const template = templateOf(syntheticPrompt(2));
    const { preview } = await call(
      state,
      { type: 'preview-prompt', input: { template, labelScoring: 'first', demonstrations: [{ text: 'good film', label: 1 }, { text: 'bad film', label: 0 }], query: { text: 'fine film', label: 1 }, longestRow: null } },
      'preview-prompt',
    );
    expect(preview.problems).toEqual([]);
    expect(preview.tokens).toHaveLength(preview.tokenCount!);
    expect(preview.labelTokens.map((t) => t.sign)).toEqual(['plus', 'minus']);

    const { attention } = await call(state, { type: 'attention', input: { kind: 'text', text: 'the film was good' }, layers: [0], heads: [0, 1], rows: 'all' }, 'attention');
    const n = attention.tokens.length;
    expect(attention.rows).toEqual(Array.from({ length: n }, (_, t) => t));
    expect(attention.probabilities).toHaveLength(1);
    const maps = attention.probabilities[0];
    expect(maps).toHaveLength(2 * n * n);
    for (let row = 0; row < 2 * n; row++) {
      const p = maps.subarray(row * n, row * n + n);
      expect(p.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      // Causal: a query sees no later token.
      expect([...p.subarray((row % n) + 1)].every((v) => v === 0)).toBe(true);
    }

    // The full suite abft train runs, on the app's test set: every measure, each with its progress as its micro-batches are scored.
    const set = { kind: 'synthetic', queries: 6, seed: 3, k: 2, labelScoring: 'sequence' } as const;
    const all = { test: true, demonstrationConsistency: true, templateConsistency: true, unseenLabel: true };
    const progressFrom = posted.length;
    const suite = await call(state, { type: 'evaluate-suite', set, measures: all, microBatch: 4 }, 'evaluate-suite');
    const { report } = suite;
    // 2 demonstration sets per test query, 8 sets and 9 templates per query for the consistencies, 1 unseen-label prompt per query.
    expect(report.test!.count).toBe(12);
    expect(report.test!.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(report.demonstrationConsistency).toMatchObject({ queries: 6, variantsPerQuery: 8 });
    expect(report.templateConsistency).toMatchObject({ queries: 6, variantsPerQuery: 9 });
    expect(report.unseenLabel!.count).toBe(6);
    for (const value of [report.test!.accuracy, report.test!.macroF1, report.demonstrationConsistency!.consistency, report.templateConsistency!.consistency, report.unseenLabel!.accuracy]) {
      expect(value).toBeGreaterThanOrEqual(0);
      expect(value).toBeLessThanOrEqual(1);
    }
    const progress = posted.slice(progressFrom).flatMap((m) => (m.type === 'evaluation-progress' && m.id === suite.id ? [m.progress] : []));
    // In the suite's order, each measure counting up to all of its prompts (micro-batches of 4).
    const measureOrder = progress.map((p) => p.measure).filter((m, i, order) => order[i - 1] !== m);
    expect(measureOrder).toEqual(['test', 'demonstrationConsistency', 'templateConsistency', 'unseenLabel']);
    const last = (measure: string) => progress.filter((p) => p.measure === measure).at(-1);
    expect([last('test'), last('demonstrationConsistency'), last('templateConsistency'), last('unseenLabel')]).toEqual([
      { measure: 'test', done: 12, total: 12 },
      { measure: 'demonstrationConsistency', done: 48, total: 48 },
      { measure: 'templateConsistency', done: 54, total: 54 },
      { measure: 'unseenLabel', done: 6, total: 6 },
    ]);
    expect(progress.filter((p) => p.measure === 'test').map((p) => p.done)).toEqual([4, 8, 12]);

    // Only the measures asked for run; the same seed scores the same prompts alike.
    const measures = { test: true, demonstrationConsistency: false, templateConsistency: false, unseenLabel: true };
    const { report: picked } = await call(state, { type: 'evaluate-suite', set, measures, microBatch: 4 }, 'evaluate-suite');
    expect(picked).toEqual({ test: report.test, demonstrationConsistency: null, templateConsistency: null, unseenLabel: report.unseenLabel });

    // A second model replaces the first, which the page is told about.
    await call(state, { type: 'load-model', source: tinyModelSource('gpt2', 'tiny-gpt2') }, 'load-model');
    expect(posted).toContainEqual({ id: null, type: 'model-released', label: 'tiny' });
  });

  it('train, continue, autosave, and restore the autosave in a fresh worker with the same weights', async () => {
    const answers: Promise<number | null>[] = [];
    const answer = (state: WorkerState, message: WorkerMessage) => {
      if (message.type !== 'autosave-due') return;
      answers.push(call(state, { type: 'autosave', step: message.step, write: true }, 'autosave').then((r) => (r.saved ? message.step : null)));
    };
    const { state, posted, store } = await loadedWorker(answer);
    const before = await lastTokenMaps(state, 'trained').catch((error: Error) => error);
    expect((before as Error).message).toMatch(/There are no training prompts yet/);

    const done = await call(state, { type: 'start-training', options: OPTIONS, data: DATA, autosave: { runId: 'run-1', everySteps: 1 } }, 'training-done');
    expect(done.stepsDone).toBe(3);
    const steps = () => posted.flatMap((m) => (m.type === 'training-step' ? [m.metrics.step] : []));
    expect(steps()).toEqual([1, 2, 3]);
    expect(done.deltaNorms.some((n) => n.q > 0 && n.k > 0)).toBe(true);
    // The run waits at each save point for its write, so every answer has its reply by now; none after the last step, which ends the run.
    expect(await Promise.all(answers)).toEqual([1, 2]);

    // The base weights are those as loaded: the maps differ from the trained ones.
    const trained = await lastTokenMaps(state, 'trained');
    const base = await lastTokenMaps(state, 'base');
    expect(trained.probabilities[0]).not.toEqual(base.probabilities[0]);

    // A reloaded page: a new worker with the same storage and model takes the run up at its last save...
    const fresh = await loadedWorker(undefined, store);
    const restored = await call(fresh.state, { type: 'restore-autosave', runId: 'run-1', data: DATA }, 'restore-autosave');
    expect(restored.stepsDone).toBe(2);
    expect(restored.options).toEqual(OPTIONS);
    expectSameMaps(await lastTokenMaps(fresh.state, 'base'), base);
    // ...and its step 3 is the first worker's, bit for bit: the autosave held the Adam state and the step count too.
    const again = await call(fresh.state, { type: 'start-training', options: OPTIONS, data: DATA, continueSession: true }, 'training-done');
    expect(again.stepsDone).toBe(3);
    const lossAt = (p: WorkerMessage[], step: number) => p.flatMap((m) => (m.type === 'training-step' && m.metrics.step === step ? [m.metrics.loss] : []));
    expect(lossAt(fresh.posted, 3)).toEqual(lossAt(posted, 3));
    expect(again.deltaNorms).toEqual(done.deltaNorms);
    expectSameMaps(await lastTokenMaps(fresh.state, 'trained'), trained);

    // The first worker's session goes on with more steps.
    const more = await call(state, { type: 'start-training', options: { ...OPTIONS, steps: 5 }, data: DATA, continueSession: true }, 'training-done');
    expect(more.stepsDone).toBe(5);
    expect(steps()).toEqual([1, 2, 3, 4, 5]);

    // Other settings cannot continue the session.
    const refused = await handle(state, { id: nextId++, type: 'start-training', options: { ...OPTIONS, steps: 6, lr: 1 }, data: DATA, continueSession: true });
    expect(refused).toMatchObject({ type: 'training-failed', error: { kind: 'input', message: expect.stringContaining('The settings differ') } });

    await call(state, { type: 'discard-autosave', runId: 'run-1' }, 'discard-autosave');
    // An error the worker replies with (worker.ts); toWorkerError says it is the user's input.
    const gone = await handle(fresh.state, { id: nextId++, type: 'restore-autosave', runId: 'run-1', data: DATA }).catch(toWorkerError);
    expect(gone).toMatchObject({ kind: 'input', message: expect.stringContaining('interrupted before its first save') });
  });

  it('stop a run between steps and save and restore a named checkpoint', async () => {
    const { state } = await loadedWorker((s, message) => {
      if (message.type === 'training-step' && message.metrics.step === 2) void call(s, { type: 'stop' }, 'stop');
    });
    const stopped = await call(state, { type: 'start-training', options: { ...OPTIONS, steps: 10 }, data: DATA }, 'training-stopped');
    expect(stopped.stepsDone).toBe(2);
    // The download says how it was trained, in the app's keys and those abft train reads back.
    const { bytes } = await call(state, { type: 'export-weights' }, 'export-weights');
    const headerLength = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const { __metadata__: metadata } = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as { __metadata__: Record<string, string> };
    expect(metadata).toMatchObject({ base_model: 'tiny', training_steps: '2', 'abft.base': 'tiny', 'abft.steps': '2', 'abft.lr': '0.01', 'abft.objective': 'abft' });
    const { checkpoints } = await call(state, { type: 'save-checkpoint', name: 'two-steps' }, 'save-checkpoint');
    expect(checkpoints.map((c) => c.name)).toEqual(['two-steps']);
    const trained = await lastTokenMaps(state, 'trained');

    await call(state, { type: 'restore-weights', which: 'loaded' }, 'restore-weights');
    expect((await lastTokenMaps(state, 'trained').catch((error: Error) => error)) as Error).toBeInstanceOf(Error);
    const restored = await call(state, { type: 'restore-checkpoint', name: 'two-steps', data: DATA }, 'restore-checkpoint');
    expect(restored.stepsDone).toBe(2);
    expectSameMaps(await lastTokenMaps(state, 'trained'), trained);
  });
});

function expectSameMaps(actual: AttentionResult, expected: AttentionResult): void {
  expect(actual.tokens).toEqual(expected.tokens);
  expect(actual.probabilities.map((p) => [...p])).toEqual(expected.probabilities.map((p) => [...p]));
}
