/**
 * The exported model as a Hugging Face Hub-style folder that transformers.js loads with
 * `from_pretrained(path)`: onnx/model.onnx (and onnx/model.onnx_data when the weights are external),
 * config.json with a `transformers.js_config` that says so, generation_config.json, and the base
 * model's tokenizer files.
 */
import { readText, type ModelFolder } from '../model/files';
import type { ModelSpec } from '../model/spec';

export const ONNX_MODEL_PATH = 'onnx/model.onnx';
/** transformers.js looks for `<model file>_data` beside the model (getExternalDataChunkNames). */
export const ONNX_DATA_NAME = 'model.onnx_data';

/** The tokenizer's files (and the generation defaults) as the Hub has them; whichever the base folder has are copied. */
const COPIED_FILES = [
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
  'added_tokens.json',
  'vocab.json',
  'merges.txt',
  'tokenizer.model',
  'chat_template.jinja',
  'chat_template.json',
  'generation_config.json',
];

/** One file of the folder, produced a chunk at a time so a large one never has to be one buffer. */
export interface ExportFile {
  /** Relative to the folder, with "/" separators. */
  readonly path: string;
  readonly size: number;
  chunks(): AsyncIterable<Uint8Array>;
}

export function bytesFile(path: string, bytes: Uint8Array | string): ExportFile {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  return {
    path,
    size: data.byteLength,
    async *chunks() {
      yield data;
    },
  };
}

/** config.json of the base model, plus what transformers.js needs to pick the float32 model and its external data. */
export async function exportedConfig(base: ModelFolder, external: boolean): Promise<string> {
  const file = base.get('config.json');
  if (!file) throw new Error(`ONNX export: ${base.label} has no config.json; export from the folder the model was loaded from.`);
  const config = JSON.parse(await readText(file)) as Record<string, unknown>;
  const previous = (config['transformers.js_config'] ?? {}) as Record<string, unknown>;
  const jsConfig: Record<string, unknown> = { ...previous, dtype: 'fp32' };
  if (external) jsConfig.use_external_data_format = { 'model.onnx': 1 };
  else delete jsConfig.use_external_data_format;
  return JSON.stringify({ ...config, use_cache: true, 'transformers.js_config': jsConfig }, null, 2);
}

/** generation_config.json from config.json's token ids, for a base model that has none. */
export function generationConfig(spec: ModelSpec, config: string): string {
  const parsed = JSON.parse(config) as Record<string, unknown>;
  const out: Record<string, unknown> = { _from_model_config: true };
  if (spec.bosTokenId !== null) out.bos_token_id = parsed.bos_token_id ?? spec.bosTokenId;
  if (spec.eosTokenId !== null) out.eos_token_id = parsed.eos_token_id ?? spec.eosTokenId;
  if (parsed.pad_token_id !== undefined && parsed.pad_token_id !== null) out.pad_token_id = parsed.pad_token_id;
  if (typeof parsed.transformers_version === 'string') out.transformers_version = parsed.transformers_version;
  return JSON.stringify(out, null, 2);
}

/** The base folder's tokenizer and generation files, unchanged. */
export async function copiedFiles(base: ModelFolder): Promise<ExportFile[]> {
  const files: ExportFile[] = [];
  for (const name of COPIED_FILES) {
    const file = base.get(name);
    if (file) files.push(bytesFile(name, await file.read(0, file.size)));
  }
  return files;
}
