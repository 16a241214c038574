/**
 * The fine-tuned model as an ONNX folder for transformers.js / onnxruntime-web: the graph of its
 * architecture, its weights (read by checkpoint name from `weights`, which gives the trained W_Q and
 * W_K), and the config and tokenizer files of the folder it was loaded from.
 */
import type { ModelFolder } from '../model/files';
import type { ModelSpec, TensorSource } from '../model/spec';
import { causalLmGraph } from './causal-lm';
import { bytesFile, copiedFiles, exportedConfig, generationConfig, ONNX_DATA_NAME, ONNX_MODEL_PATH, type ExportFile } from './folder';
import { planExportSize, type SizeLimits } from './limits';
import { serializeModel, weightBytes } from './serialize';

export interface OnnxExportOptions extends SizeLimits {
  /** Written into model.onnx's metadata_props. */
  readonly metadata?: Readonly<Record<string, string>>;
}

export interface OnnxExport {
  /** In folder order: onnx/model.onnx, its data file if any, config.json, generation_config.json, tokenizer files. */
  readonly files: readonly ExportFile[];
  /** Bytes of the float32 weights. */
  readonly weightBytes: number;
  /** Whether the weights are in onnx/model.onnx_data. */
  readonly external: boolean;
}

export async function exportOnnx(spec: ModelSpec, weights: TensorSource, base: ModelFolder, opts: OnnxExportOptions = {}): Promise<OnnxExport> {
  const graph = causalLmGraph(spec, new Set(weights.names()));
  const bytes = weightBytes(graph);
  const { external } = planExportSize(spec, bytes, opts);
  const model = await serializeModel(graph, weights, { externalData: external ? ONNX_DATA_NAME : null, metadata: opts.metadata });
  const config = await exportedConfig(base, external);
  const copied = await copiedFiles(base);
  const files: ExportFile[] = [bytesFile(ONNX_MODEL_PATH, model.model)];
  if (model.externalData) {
    const data = model.externalData;
    files.push({ path: `onnx/${data.file}`, size: data.size, chunks: () => data.chunks() });
  }
  files.push(bytesFile('config.json', config));
  if (!copied.some((f) => f.path === 'generation_config.json')) files.push(bytesFile('generation_config.json', generationConfig(spec, config)));
  files.push(...copied);
  return { files, weightBytes: bytes, external };
}

/** A file's chunks joined into one buffer (small files, tests). */
export async function fileBytes(file: ExportFile): Promise<Uint8Array> {
  const out = new Uint8Array(file.size);
  let at = 0;
  for await (const chunk of file.chunks()) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== file.size) throw new Error(`${file.path}: ${at} bytes written, ${file.size} announced`);
  return out;
}
