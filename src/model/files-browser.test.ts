import { describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint';
import { readText } from './files';
import { blobFolder } from './files-browser';
import { encodeSafetensors, f32Bytes } from './safetensors';

const blob = (content: string | Uint8Array<ArrayBuffer>) => new Blob([content]);

describe('blobFolder', () => {
  it('strips the picked directory from webkitRelativePath names', async () => {
    const folder = blobFolder('picked folder', [
      { path: 'gpt2/config.json', blob: blob('{"n_layer": 2}') },
      { path: 'gpt2/onnx/model.onnx', blob: blob('x') },
    ]);
    expect(folder.label).toBe('picked folder');
    expect(folder.names()).toEqual(['config.json', 'onnx/model.onnx']);
    expect(await readText(folder.get('config.json')!)).toBe('{"n_layer": 2}');
  });

  it('strips every shared leading directory, and none when files sit at the top', () => {
    const nested = blobFolder('d', [
      { path: '/models/gpt2/config.json', blob: blob('') },
      { path: '/models/gpt2/model.safetensors', blob: blob('') },
    ]);
    expect(nested.names()).toEqual(['config.json', 'model.safetensors']);
    const dropped = blobFolder('d', [
      { path: 'config.json', blob: blob('') },
      { path: 'onnx/model.onnx', blob: blob('') },
    ]);
    expect(dropped.names()).toEqual(['config.json', 'onnx/model.onnx']);
    expect(blobFolder('d', []).names()).toEqual([]);
  });

  it('reads byte ranges and rejects ranges outside the file', async () => {
    const file = blobFolder('d', [{ path: 'a/data.bin', blob: blob(new Uint8Array([0, 1, 2, 3, 4, 5])) }]).get('data.bin')!;
    expect(file.size).toBe(6);
    expect([...(await file.read(2, 3))]).toEqual([2, 3, 4]);
    await expect(file.read(4, 3)).rejects.toThrow("data.bin: bytes 4..7 are outside the file's 6 bytes");
  });

  it('rejects two files with the same name', () => {
    expect(() =>
      blobFolder('dropped files', [
        { path: 'config.json', blob: blob('') },
        { path: './config.json', blob: blob('') },
      ]),
    ).toThrow('dropped files: two files are named config.json ("./config.json" and another); pick one model folder at a time');
  });

  it('opens a checkpoint from picked files', async () => {
    const bytes = encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [2], bytes: f32Bytes([0.25, 8]) }]);
    const c = await openCheckpoint(blobFolder('picked folder', [{ path: 'tiny/model.safetensors', blob: blob(bytes) }]));
    expect([...(await c.read('w'))]).toEqual([0.25, 8]);
  });
});
