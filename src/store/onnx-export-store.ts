/**
 * "Export for transformers.js" and "Verify" in the Train panel: the worker exports the model as it
 * is now to a zipped ONNX folder, or runs that export in onnxruntime-web against our engine.
 */
import { create } from 'zustand';
import type { OnnxExportResult, OnnxVerification } from '../train/protocol';
import { trainerClient } from './trainer-client';
import { evaluationSet, useTrainingStore, type TaskState } from './training-store';

/** onnxruntime-web runs one prompt at a time, on SwiftShader or wasm in the worst case: a handful of test prompts is the check. */
export const VERIFY_PROMPTS = 8;

interface OnnxExportStore {
  readonly exporting: TaskState;
  readonly verifying: TaskState;
  /** The last verification of the model on the GPU; cleared when another model is loaded. */
  readonly verification: OnnxVerification | null;
  /** The zipped folder, or null when the export failed (`exporting` says why). */
  exportZip(): Promise<OnnxExportResult | null>;
  verify(): Promise<void>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

let listening = false;

export const useOnnxExportStore = create<OnnxExportStore>()((set) => {
  function listen(): void {
    if (listening) return;
    listening = true;
    trainerClient().onEvent((event) => {
      if (event.type === 'model-released') set({ verification: null });
    });
  }

  return {
    exporting: { state: 'idle' },
    verifying: { state: 'idle' },
    verification: null,

    async exportZip() {
      listen();
      set({ exporting: { state: 'running' } });
      try {
        const { result } = await trainerClient().request({ type: 'export-onnx' });
        set({ exporting: { state: 'idle' } });
        return result;
      } catch (error) {
        set({ exporting: { state: 'failed', message: errorMessage(error) } });
        return null;
      }
    },

    async verify() {
      listen();
      set({ verifying: { state: 'running' }, verification: null });
      try {
        const testSet = evaluationSet(useTrainingStore.getState().settings);
        const { verification } = await trainerClient().request({ type: 'verify-onnx', set: testSet, maxPrompts: VERIFY_PROMPTS });
        set({ verifying: { state: 'idle' }, verification });
      } catch (error) {
        set({ verifying: { state: 'failed', message: errorMessage(error) } });
      }
    },
  };
});
