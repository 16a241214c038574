import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCheckpoint } from './checkpoint';
import { readText } from './files';
import { nodeFolder } from './files-node';
import { encodeSafetensors, f32Bytes } from './safetensors';

describe('nodeFolder', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'abft-files-node-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists files recursively with "/" names, skipping dot folders', async () => {
    await writeFile(join(dir, 'config.json'), '{"a": 1}');
    await mkdir(join(dir, 'onnx', 'deep'), { recursive: true });
    await writeFile(join(dir, 'onnx', 'deep', 'model.onnx'), 'x');
    await mkdir(join(dir, '.git'));
    await writeFile(join(dir, '.git', 'HEAD'), 'ref');
    const folder = await nodeFolder(dir);
    expect(folder.label).toBe(dir);
    expect([...folder.names()].sort()).toEqual(['config.json', 'onnx/deep/model.onnx']);
    expect(await readText(folder.get('config.json')!)).toBe('{"a": 1}');
    expect(folder.get('onnx/deep/model.onnx')!.size).toBe(1);
    expect(folder.get('missing.json')).toBeUndefined();
  });

  it('reads byte ranges at a position and rejects ranges outside the file', async () => {
    await writeFile(join(dir, 'data.bin'), new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]));
    const file = (await nodeFolder(dir)).get('data.bin')!;
    expect([...(await file.read(3, 4))]).toEqual([3, 4, 5, 6]);
    expect((await file.read(10, 0)).byteLength).toBe(0);
    await expect(file.read(8, 4)).rejects.toThrow(`${join(dir, 'data.bin')}: bytes 8..12 are outside the file's 10 bytes`);
  });

  it('follows symlinks, as in the Hub cache', async () => {
    await mkdir(join(dir, 'blobs'));
    await writeFile(join(dir, 'blobs', 'abc123'), '{}');
    await mkdir(join(dir, 'snapshot'));
    await symlink(join(dir, 'blobs', 'abc123'), join(dir, 'snapshot', 'config.json'));
    await symlink(join(dir, 'nowhere'), join(dir, 'snapshot', 'dangling.json'));
    await symlink(dir, join(dir, 'snapshot', 'loop'));
    expect([...(await nodeFolder(join(dir, 'snapshot'))).names()]).toEqual(['config.json', 'loop/blobs/abc123']);
  });

  it('opens a checkpoint from disk', async () => {
    await writeFile(join(dir, 'model.safetensors'), encodeSafetensors([{ name: 'w', dtype: 'F32', shape: [3], bytes: f32Bytes([1, -2, 3]) }]));
    const c = await openCheckpoint(await nodeFolder(dir));
    expect([...(await c.read('w'))]).toEqual([1, -2, 3]);
  });

  it('names the path of a missing folder or a file given as a folder', async () => {
    const missing = join(dir, 'nope');
    await expect(nodeFolder(missing)).rejects.toThrow(`model folder ${missing} does not exist; pass the folder that holds config.json`);
    await writeFile(join(dir, 'config.json'), '{}');
    await expect(nodeFolder(join(dir, 'config.json'))).rejects.toThrow(`model folder ${join(dir, 'config.json')} is a file, not a folder`);
  });
});
