import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { writeTinyModel, type TinyModelOptions } from '../../model/testing/tiny-models';
import type { Architecture } from '../../model/spec';

/**
 * A fresh temporary folder with a tiny `arch` model in `model/`, written before the test file's tests
 * and removed after them; the paths are set once the hook has run, so read them inside tests.
 */
export function tinyModelFolder(prefix: string, arch: Architecture, opts: TinyModelOptions = {}): { readonly dir: string; readonly modelDir: string } {
  const paths = { dir: '', modelDir: '' };
  beforeAll(async () => {
    paths.dir = await mkdtemp(join(tmpdir(), prefix));
    paths.modelDir = join(paths.dir, 'model');
    await writeTinyModel(paths.modelDir, arch, opts);
  });
  afterAll(() => rm(paths.dir, { recursive: true, force: true }));
  return paths;
}
