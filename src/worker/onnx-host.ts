/**
 * The worker's side of "Export for transformers.js" and "Verify": the loaded model as it is now
 * (trained W_Q / W_K included) exported to an ONNX folder and zipped, and the same export run in
 * onnxruntime-web (WebGPU where the browser has it, else wasm) against our engine on test prompts.
 */
import { InputError } from '../data/dataset';
import type { Engine } from '../engine/engine';
import { openCheckpoint } from '../model/checkpoint';
import { fileBytes, type OnnxExport } from '../onnx/export';
import { ONNX_DATA_NAME } from '../onnx/folder';
import { openOnnxSession } from '../onnx/session';
import { verifyAgainstEngine } from '../onnx/verify';
import { zipFolder } from '../onnx/zip';
import { requireModel, type HostedModel } from './model-host';
import { exportRunOnnx, trainedMetadata } from '../session/export';
import { evaluationDraws, preparePromptSet } from '../session/prompt-sets';
import type { EvaluationSet, OnnxExportResult, OnnxVerification } from '../train/protocol';
import type { WorkerState } from './state';

async function exportHosted(state: WorkerState, e: Engine, { model, folder }: HostedModel): Promise<OnnxExport> {
  const trained = state.session?.hosted.model === model ? state.session : null;
  const metadata = trainedMetadata(model.label, trained && { options: trained.options, steps: trained.trainer.steps });
  return exportRunOnnx(e, model, await openCheckpoint(folder), folder, metadata);
}

/** "folder tiny-llama" -> "tiny-llama-onnx", "Hub: org/name@main" -> "name-main-onnx", "demo tiny Llama (random weights)" -> "demo-tiny-llama-random-weights-onnx" */
function folderName(label: string): string {
  // The "folder " and "Hub: " prefixes of the model labels say where it came from, not what it is.
  const base = label.replace(/^(folder|Hub:)\s+/, '').split('/').filter(Boolean).pop() ?? 'model';
  const slug = base.toLowerCase().replace(/[^a-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '');
  return `${slug || 'model'}-onnx`;
}

export async function exportOnnxZip(state: WorkerState, e: Engine): Promise<OnnxExportResult> {
  const hosted = requireModel(state);
  // Reading W_Q / W_K back and every weight into the archive: no training step may change them meanwhile.
  return state.gpuWork.run(async () => {
    const exported = await exportHosted(state, e, hosted);
    const root = folderName(hosted.model.label);
    const zip = await zipFolder(exported.files, root);
    return {
      zip,
      fileName: `${root}.zip`,
      files: exported.files.map((f) => ({ path: `${root}/${f.path}`, bytes: f.size })),
      weightBytes: exported.weightBytes,
      external: exported.external,
    };
  });
}

export async function verifyOnnx(state: WorkerState, e: Engine, set: EvaluationSet, maxPrompts: number): Promise<OnnxVerification> {
  const hosted = requireModel(state);
  const { template, draws } = evaluationDraws(set);
  if (draws.length === 0) throw new InputError('There are no test queries to verify on; add some in the Data panel.');
  const { prompts, labels } = await preparePromptSet(hosted.model, template, draws.slice(0, maxPrompts), 'test prompt', set.labelScoring);
  const ort = await state.onnxRuntime();
  return state.gpuWork.run(async () => {
    const exported = await exportHosted(state, e, hosted);
    const model = await fileBytes(exported.files[0]);
    const data = exported.external ? await fileBytes(exported.files[1]) : null;
    const providers = typeof navigator !== 'undefined' && 'gpu' in navigator ? (['webgpu', 'wasm'] as const) : (['wasm'] as const);
    const open = await openOnnxSession(ort, { model, externalData: data ? { path: ONNX_DATA_NAME, data } : undefined }, providers);
    try {
      const report = await verifyAgainstEngine(e, hosted.model.spec, hosted.model.weights, ort, open.session, prompts, labels);
      return { ...report, provider: open.provider, fallback: open.fallback };
    } finally {
      await open.session.release();
    }
  });
}
