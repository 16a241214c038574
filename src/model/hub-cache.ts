/**
 * Where downloaded model files are kept, keyed "org/name@revision/file", so that a model is
 * downloaded once and loads offline afterwards.
 */
export interface ModelCache {
  get(key: string): Promise<Blob | undefined>;
  /** Stores a complete file; callers never put a partial download. */
  put(key: string, blob: Blob): Promise<void>;
  list(prefix: string): Promise<{ key: string; size: number }[]>;
  /** Removes every file whose key starts with `prefix`. */
  delete(prefix: string): Promise<void>;
}

export function memoryModelCache(): ModelCache {
  const blobs = new Map<string, Blob>();
  return {
    get: async (key) => blobs.get(key),
    put: async (key, blob) => void blobs.set(key, blob),
    list: async (prefix) => [...blobs].filter(([key]) => key.startsWith(prefix)).map(([key, blob]) => ({ key, size: blob.size })),
    delete: async (prefix) => {
      for (const key of [...blobs.keys()]) if (key.startsWith(prefix)) blobs.delete(key);
    },
  };
}

/** Cache Storage entries need URLs; this origin is never fetched, it only namespaces the keys. */
const KEY_ORIGIN = 'https://model-cache.abft-studio.invalid/';
const SIZE_HEADER = 'X-ABFT-Size';

/** The names of the browser's Cache Storage caches that start with `prefix` (none without Cache Storage). */
export async function browserCacheNames(prefix: string): Promise<string[]> {
  return typeof caches === 'undefined' ? [] : (await caches.keys()).filter((name) => name.startsWith(prefix));
}

/** Files in the browser's Cache Storage (`caches.open(name)`), which survives reloads and is not limited to memory. */
export function browserModelCache(name: string): ModelCache {
  if (typeof caches === 'undefined') {
    throw new Error(`the browser offers no Cache Storage to keep model "${name}" (it needs a secure context: https or localhost); open ABFT Studio from such an address.`);
  }
  const open = () => caches.open(name);
  const toUrl = (key: string) => KEY_ORIGIN + key.split('/').map(encodeURIComponent).join('/');
  const toKey = (url: string) => url.slice(KEY_ORIGIN.length).split('/').map(decodeURIComponent).join('/');
  const keysWith = async (prefix: string) => {
    const cache = await open();
    return { cache, requests: (await cache.keys()).filter((r) => toKey(r.url).startsWith(prefix)) };
  };
  return {
    async get(key) {
      const response = await (await open()).match(toUrl(key));
      return response ? response.blob() : undefined;
    },
    async put(key, blob) {
      try {
        await (await open()).put(toUrl(key), new Response(blob, { headers: { [SIZE_HEADER]: String(blob.size) } }));
      } catch (e) {
        throw new Error(`could not store ${key} (${blob.size} bytes) in the browser cache "${name}": ${(e as Error).message}. Free disk space or delete downloaded models you no longer need.`);
      }
    },
    async list(prefix) {
      const { cache, requests } = await keysWith(prefix);
      return Promise.all(
        requests.map(async (r) => ({ key: toKey(r.url), size: Number((await cache.match(r))?.headers.get(SIZE_HEADER) ?? 0) })),
      );
    },
    async delete(prefix) {
      const { cache, requests } = await keysWith(prefix);
      await Promise.all(requests.map((r) => cache.delete(r)));
    },
  };
}
