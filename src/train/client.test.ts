import { describe, expect, it } from 'vitest';
import { TrainerClient, WorkerCallError } from './client';
import { DEFAULT_TRAIN_OPTIONS } from './options';
import type { LoadProgress, ModelSummary, WorkerMessage, WorkerRequest } from './protocol';
import type { StepMetrics } from './trainer';

/** The part of a Worker the client uses, with the worker's side played by the test. */
class FakeWorker {
  onmessage: ((event: MessageEvent<WorkerMessage>) => void) | null = null;
  onerror: ((event: ErrorEvent) => void) | null = null;
  readonly posted: WorkerRequest[] = [];

  postMessage(request: WorkerRequest): void {
    this.posted.push(request);
  }

  send(message: WorkerMessage): void {
    this.onmessage?.({ data: message } as MessageEvent<WorkerMessage>);
  }
}

const SUMMARY = { label: 'tiny', hfArchitecture: 'LlamaForCausalLM' } as ModelSummary;
const SOURCE = { kind: 'hub', repo: 'org/tiny', revision: 'main' } as const;
const DATA = { kind: 'synthetic', size: 64, seed: 1 } as const;

function metrics(step: number): StepMetrics {
  return { step, loss: 1 / step, punishment: 0.5, nextPunishment: 0.5, passingHeads: 8, perLayerHead: null, gradNorm: 1, ms: 10, tokens: 100, tokensPerSecond: 1e4 };
}

function start() {
  const worker = new FakeWorker();
  return { worker, client: new TrainerClient(worker as unknown as Worker) };
}

describe('TrainerClient', () => {
  it("routes progress to the request's callback and resolves only on the reply", async () => {
    const { worker, client } = start();
    const seen: LoadProgress[] = [];
    let settled = false;
    const reply = client.request({ type: 'load-model', source: SOURCE }, { onProgress: (p) => seen.push(p) }).finally(() => (settled = true));
    const { id } = worker.posted[0];
    worker.send({ id, type: 'progress', progress: { stage: 'download', file: 'config.json', bytes: 10, total: null } });
    worker.send({ id, type: 'progress', progress: { stage: 'upload', bytes: 5, total: 10 } });
    await Promise.resolve();
    expect(settled).toBe(false);
    worker.send({ id, type: 'load-model', model: SUMMARY });
    expect((await reply).model).toEqual(SUMMARY);
    expect(seen.map((p) => p.stage)).toEqual(['download', 'upload']);
  });

  it('sends a cancel for the request when its signal aborts, and passes on the error reply unchanged', async () => {
    const { worker, client } = start();
    const controller = new AbortController();
    const reply = client.request({ type: 'load-model', source: SOURCE }, { signal: controller.signal });
    const { id } = worker.posted[0];
    controller.abort();
    expect(worker.posted[1]).toMatchObject({ type: 'cancel', target: id });
    worker.send({ id: worker.posted[1].id, type: 'cancel' });
    const message = 'the download of org/tiny@main was cancelled while fetching model.safetensors';
    worker.send({ id, type: 'error', error: { kind: 'failed', message } });
    await expect(reply).rejects.toThrow(new WorkerCallError({ kind: 'failed', message }));
  });

  it('gives worker events to listeners, not to requests', () => {
    const { worker, client } = start();
    const events: string[] = [];
    client.onEvent((e) => events.push(e.type));
    worker.send({ id: null, type: 'model-released', label: 'tiny' });
    expect(events).toEqual(['model-released']);
  });

  it("routes training steps to the start request's onStep, in order, and resolves on training-done", async () => {
    const { worker, client } = start();
    const steps: number[] = [];
    let settled = false;
    const reply = client
      .request({ type: 'start-training', options: DEFAULT_TRAIN_OPTIONS, data: DATA }, { onStep: (m) => steps.push(m.step) })
      .finally(() => (settled = true));
    const { id } = worker.posted[0];
    worker.send({ id, type: 'training-step', metrics: metrics(1) });
    worker.send({ id, type: 'training-step', metrics: metrics(2) });
    await Promise.resolve();
    expect(settled).toBe(false);
    worker.send({ id, type: 'training-done', stepsDone: 2, deltaNorms: [] });
    expect(await reply).toEqual({ id, type: 'training-done', stepsDone: 2, deltaNorms: [] });
    expect(steps).toEqual([1, 2]);
  });

  it('resolves a stopped run while other requests (pause, stop) get their own replies', async () => {
    const { worker, client } = start();
    const run = client.request({ type: 'start-training', options: DEFAULT_TRAIN_OPTIONS, data: DATA });
    const pause = client.request({ type: 'pause' });
    const stop = client.request({ type: 'stop' });
    const [runId, pauseId, stopId] = worker.posted.map((r) => r.id);
    worker.send({ id: pauseId, type: 'pause' });
    worker.send({ id: stopId, type: 'stop' });
    await expect(pause).resolves.toMatchObject({ type: 'pause' });
    await expect(stop).resolves.toMatchObject({ type: 'stop' });
    worker.send({ id: runId, type: 'training-stopped', stepsDone: 1, deltaNorms: [] });
    await expect(run).resolves.toMatchObject({ type: 'training-stopped', stepsDone: 1, deltaNorms: [] });
  });

  it('rejects on training-failed with the message unchanged, after the steps that went through', async () => {
    const { worker, client } = start();
    const steps: number[] = [];
    const reply = client.request({ type: 'start-training', options: DEFAULT_TRAIN_OPTIONS, data: DATA }, { onStep: (m) => steps.push(m.step) });
    const { id } = worker.posted[0];
    worker.send({ id, type: 'training-step', metrics: metrics(1) });
    const message = 'Training step 2: the loss is NaN, so the step was not applied and the weights of step 1 are kept.';
    worker.send({ id, type: 'training-failed', error: { kind: 'non-finite-loss', message } });
    await expect(reply).rejects.toThrow(new WorkerCallError({ kind: 'non-finite-loss', message }));
    expect(steps).toEqual([1]);
    // A step of a request that has ended goes nowhere.
    worker.send({ id, type: 'training-step', metrics: metrics(2) });
    expect(steps).toEqual([1]);
  });
});
