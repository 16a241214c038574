/**
 * The UI side of the worker protocol: request/reply as promises, progress to the request's
 * callback, worker events to listeners.
 */
import type { EvaluationProgress, FinalReplyType, LoadProgress, PretrainProgress, WorkerError, WorkerEvent, WorkerMessage, WorkerReply, WorkerRequest } from './protocol';
import type { StepMetrics } from './trainer';

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: WorkerCallError) => void } & Pick<RequestOptions, 'onProgress' | 'onStep' | 'onAutosaveDue' | 'onEvaluationProgress' | 'onPretrain'>;
type RequestBody = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;
type ReplyOf<T extends WorkerRequest['type']> = Extract<WorkerReply, { type: FinalReplyType<T> }>;

export interface RequestOptions {
  readonly onProgress?: (progress: LoadProgress) => void;
  /** The metrics of each training step of a `start-training` request, as it completes. */
  readonly onStep?: (metrics: StepMetrics) => void;
  /** A `start-training` run with autosave waits after this step for an `autosave` request. */
  readonly onAutosaveDue?: (step: number) => void;
  /** How far an `evaluate-suite` request is, per measure. */
  readonly onEvaluationProgress?: (progress: EvaluationProgress) => void;
  /** What a `start-pretraining` run reports as it goes: steps, head scores, evaluations. */
  readonly onPretrain?: (progress: PretrainProgress) => void;
  /** Aborting sends a `cancel` for this request; the request still ends with the worker's reply. */
  readonly signal?: AbortSignal;
}

export class WorkerCallError extends Error {
  constructor(readonly detail: WorkerError) {
    super(detail.message);
    this.name = 'WorkerCallError';
  }
}

export class TrainerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(event: WorkerEvent) => void>();

  constructor(private readonly worker: Worker) {
    worker.onmessage = (event: MessageEvent<WorkerMessage>) => this.receive(event.data);
    worker.onerror = (event) => this.failAll({ kind: 'worker-crashed', message: `The trainer worker crashed: ${event.message}` });
  }

  static start(): TrainerClient {
    return new TrainerClient(new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module', name: 'trainer' }));
  }

  request<T extends WorkerRequest['type']>(body: Extract<RequestBody, { type: T }>, opts: RequestOptions = {}): Promise<ReplyOf<T>> {
    const id = this.nextId++;
    const done = new Promise<ReplyOf<T>>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (r: WorkerReply) => void, reject, onProgress: opts.onProgress, onStep: opts.onStep, onAutosaveDue: opts.onAutosaveDue, onEvaluationProgress: opts.onEvaluationProgress, onPretrain: opts.onPretrain });
      this.worker.postMessage({ ...body, id } as WorkerRequest);
    });
    const { signal } = opts;
    if (signal) {
      const cancel = () => void this.request({ type: 'cancel', target: id });
      if (signal.aborted) cancel();
      signal.addEventListener('abort', cancel, { once: true });
      const stopListening = () => signal.removeEventListener('abort', cancel);
      done.then(stopListening, stopListening);
    }
    return done;
  }

  onEvent(listener: (event: WorkerEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private receive(message: WorkerMessage): void {
    if (message.id === null) {
      for (const l of this.listeners) l(message);
      return;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    if (message.type === 'progress') {
      pending.onProgress?.(message.progress);
      return;
    }
    if (message.type === 'training-step') {
      pending.onStep?.(message.metrics);
      return;
    }
    if (message.type === 'autosave-due') {
      pending.onAutosaveDue?.(message.step);
      return;
    }
    if (message.type === 'evaluation-progress') {
      pending.onEvaluationProgress?.(message.progress);
      return;
    }
    if (message.type === 'pretrain-progress') {
      pending.onPretrain?.(message.progress);
      return;
    }
    this.pending.delete(message.id);
    if (message.type === 'error' || message.type === 'training-failed') pending.reject(new WorkerCallError(message.error));
    else pending.resolve(message);
  }

  private failAll(error: WorkerError): void {
    for (const p of this.pending.values()) p.reject(new WorkerCallError(error));
    this.pending.clear();
  }
}
