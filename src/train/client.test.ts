import { describe, expect, it } from 'vitest';
import { TrainerClient, WorkerCallError } from './client';
import type { LoadProgress, ModelSummary, WorkerMessage, WorkerRequest } from './protocol';

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
});
