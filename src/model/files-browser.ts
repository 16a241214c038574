/**
 * A model folder from files the user picked with a directory picker or dropped on the page. Names
 * are relative to the deepest folder all files share, so picking "gpt2/" yields "config.json".
 */
import type { ModelFile, ModelFolder } from './files';

export function blobFolder(label: string, files: readonly { readonly path: string; readonly blob: Blob }[]): ModelFolder {
  const split = files.map((f) => f.path.replace(/\\/g, '/').split('/').filter((part) => part !== '' && part !== '.'));
  const common = commonDirectoryDepth(split);
  const map = new Map<string, ModelFile>();
  files.forEach((f, i) => {
    const name = split[i].slice(common).join('/');
    if (name === '') throw new Error(`${label}: file path "${f.path}" has no file name; pick the model's folder or its files`);
    if (map.has(name)) throw new Error(`${label}: two files are named ${name} ("${f.path}" and another); pick one model folder at a time`);
    map.set(name, blobFile(name, f.blob));
  });
  return { label, names: () => [...map.keys()], get: (name) => map.get(name) };
}

/** How many leading directories every path shares, leaving each at least its file name. */
function commonDirectoryDepth(paths: readonly (readonly string[])[]): number {
  if (paths.length === 0) return 0;
  let depth = 0;
  for (;;) {
    const dir = paths[0][depth];
    if (!paths.every((p) => p.length > depth + 1 && p[depth] === dir)) return depth;
    depth++;
  }
}

function blobFile(name: string, blob: Blob): ModelFile {
  return {
    name,
    size: blob.size,
    async read(offset, length) {
      if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 || offset + length > blob.size) {
        throw new RangeError(`${name}: bytes ${offset}..${offset + length} are outside the file's ${blob.size} bytes`);
      }
      return new Uint8Array(await blob.slice(offset, offset + length).arrayBuffer());
    },
  };
}
