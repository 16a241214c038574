import { unzipSync } from 'fflate';
import { expect, it } from 'vitest';
import { openCheckpoint } from '../model/checkpoint';
import { parseModelConfig } from '../model/config';
import { memoryFolder } from '../model/files';
import { tinyModelFiles } from '../model/testing/tiny-models';
import { exportOnnx, fileBytes } from './export';
import { zipFolder } from './zip';

it('zips the exported folder under one root, every file byte for byte, external data included', async () => {
  const files = tinyModelFiles('qwen2');
  const folder = memoryFolder('tiny qwen2', files);
  const spec = parseModelConfig(JSON.parse(files['config.json'] as string));
  const exported = await exportOnnx(spec, await openCheckpoint(folder), folder, { externalDataThreshold: 0 });
  const progress: number[] = [];
  const blob = await zipFolder(exported.files, 'tiny-qwen2-onnx', (done) => progress.push(done));
  const unzipped = unzipSync(new Uint8Array(await blob.arrayBuffer()));
  expect(Object.keys(unzipped).sort()).toEqual(exported.files.map((f) => `tiny-qwen2-onnx/${f.path}`).sort());
  for (const file of exported.files) expect(unzipped[`tiny-qwen2-onnx/${file.path}`], file.path).toEqual(await fileBytes(file));
  expect(unzipped['tiny-qwen2-onnx/tokenizer.json']).toEqual(new TextEncoder().encode(files['tokenizer.json'] as string));
  expect(progress.at(-1)).toBe(exported.files.reduce((n, f) => n + f.size, 0));
});
