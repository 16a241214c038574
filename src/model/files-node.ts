/** A model folder on disk, for Node (tests and the CLI); never import it from browser code. */
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelFile, ModelFolder } from './files';

export async function nodeFolder(dir: string): Promise<ModelFolder> {
  let info;
  try {
    info = await stat(dir);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new Error(`model folder ${dir} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}; pass the folder that holds config.json`, { cause: e });
  }
  if (!info.isDirectory()) throw new Error(`model folder ${dir} is a file, not a folder; pass the folder that holds config.json`);
  const files = new Map<string, ModelFile>();
  await listInto(files, dir, '', new Set([await realpath(dir)]));
  return { label: dir, names: () => [...files.keys()], get: (name) => files.get(name) };
}

async function listInto(files: Map<string, ModelFile>, dir: string, prefix: string, visited: Set<string>): Promise<void> {
  for (const entry of (await readdir(dir)).sort()) {
    // A cloned Hub repository's .git holds thousands of objects the loader never reads.
    if (entry.startsWith('.')) continue;
    const path = join(dir, entry);
    const name = prefix + entry;
    // stat follows symlinks, since the Hub cache's snapshot folders are links into its blobs folder;
    // a dangling link is no file to offer.
    const info = await stat(path).catch(() => undefined);
    if (info?.isDirectory()) {
      const real = await realpath(path);
      if (visited.has(real)) continue;
      visited.add(real);
      await listInto(files, path, `${name}/`, visited);
    } else if (info?.isFile()) {
      files.set(name, nodeFile(name, path, info.size));
    }
  }
}

function nodeFile(name: string, path: string, size: number): ModelFile {
  return {
    name,
    size,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > size) {
        throw new RangeError(`${path}: bytes ${offset}..${offset + length} are outside the file's ${size} bytes`);
      }
      const out = new Uint8Array(length);
      // One handle per read: ModelFolder has no close, and a read is one tensor, so opening is cheap by comparison.
      const handle = await open(path, 'r');
      try {
        let done = 0;
        while (done < length) {
          const { bytesRead } = await handle.read(out, done, length - done, offset + done);
          if (bytesRead === 0) {
            throw new Error(`${path}: the file ended at byte ${offset + done} while reading bytes ${offset}..${offset + length}; it changed on disk since it was listed; open the folder again`);
          }
          done += bytesRead;
        }
      } finally {
        await handle.close();
      }
      return out;
    },
  };
}
