/**
 * A worker state for Node tests: Dawn's GPU through the test engine, checkpoints in memory, and
 * every message the handlers post kept in order, as the page would receive them.
 */
import { testEngine } from '../../engine/testing/gpu';
import { nodeGpu } from '../../engine/node-gpu';
import type { Architecture } from '../../model/spec';
import { tinyModelFiles } from '../../model/testing/tiny-models';
import type { ModelSource, WorkerMessage } from '../../train/protocol';
import { MemoryCheckpointStore, type CheckpointStore } from '../checkpoint-store';
import { createWorkerState, type WorkerState } from '../state';

export interface NodeWorker {
  readonly state: WorkerState;
  /** What the handlers posted that was no reply (progress, training steps, autosave points). */
  readonly posted: WorkerMessage[];
  readonly store: CheckpointStore;
}

/**
 * `store`: pass another state's to see what it saved, as a reloaded page's worker does; `onPost`
 * answers posted messages as the page would (an autosave point).
 */
export async function nodeWorkerState(store: CheckpointStore = new MemoryCheckpointStore(), onPost: (message: WorkerMessage) => void = () => {}): Promise<NodeWorker> {
  const posted: WorkerMessage[] = [];
  const state = createWorkerState({
    gpu: await nodeGpu(),
    post: (message) => {
      posted.push(message);
      // On a later turn, as a message to the page and its answer would be.
      setTimeout(() => onPost(message), 0);
    },
    checkpoints: async () => store,
    onnxRuntime: () => import('onnxruntime-web'),
  });
  // The file's one engine, so the test's own reads see the same device.
  state.engine = testEngine();
  return { state, posted, store };
}

/** A generated tiny model as the files a user picks in the Model panel. */
export function tinyModelSource(architecture: Architecture = 'llama', label = 'tiny'): ModelSource {
  const files = Object.entries(tinyModelFiles(architecture)).map(([name, content]) => ({ path: `${label}/${name}`, file: new File([content as BlobPart], name) }));
  return { kind: 'files', label, files };
}
