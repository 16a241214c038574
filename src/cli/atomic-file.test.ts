import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { removeLeftoverPartials, writeFileAtomic } from './atomic-file';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abft-atomic-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  it('creates a file, then replaces it whole, leaving no temporary file', async () => {
    const path = join(dir, 'checkpoint.safetensors');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    expect([...(await readFile(path))]).toEqual([4, 5]);
    expect(await readdir(dir)).toEqual(['checkpoint.safetensors']);
  });

  it('keeps the previous file intact and removes the temporary one when the write fails partway', async () => {
    const path = join(dir, 'report.json');
    await writeFile(path, '{"steps": 1}');
    const failing = writeFileAtomic(path, '{"steps": 2, "more": "..."}', {
      write: async (file, data) => {
        await file.write(String(data).slice(0, 5));
        throw new Error('ENOSPC: no space left on device');
      },
    });
    await expect(failing).rejects.toThrow('ENOSPC');
    expect(await readFile(path, 'utf8')).toBe('{"steps": 1}');
    expect(await readdir(dir)).toEqual(['report.json']);
  });

  it('removes the temporary files a killed run left, and nothing else', async () => {
    for (const name of ['checkpoint.safetensors', 'checkpoint.safetensors.partial-4242', 'report.json.partial-7', 'notes.partial-x']) await writeFile(join(dir, name), 'x');
    await removeLeftoverPartials(dir);
    expect((await readdir(dir)).sort()).toEqual(['checkpoint.safetensors', 'notes.partial-x']);
  });
});
