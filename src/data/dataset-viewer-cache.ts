/**
 * Where the dataset viewer's answers are kept (the JSON text of a split list or of a page of rows),
 * keyed "dataset/config/split/offset", so a dataset read once loads again without the network.
 */
export interface RowsCache {
  get(key: string): Promise<string | undefined>;
  /** Stores a complete, checked answer; callers never put an error or a partial page. */
  put(key: string, text: string): Promise<void>;
}

export function memoryRowsCache(): RowsCache {
  const texts = new Map<string, string>();
  return {
    get: async (key) => texts.get(key),
    put: async (key, text) => void texts.set(key, text),
  };
}

/** Cache Storage entries need URLs; this origin is never fetched, it only namespaces the keys. */
const KEY_ORIGIN = 'https://rows-cache.abft-studio.invalid/';

/** Pages in the browser's Cache Storage (`caches.open(name)`), which survives reloads. */
export function browserRowsCache(name: string): RowsCache {
  if (typeof caches === 'undefined') {
    throw new Error(`the browser offers no Cache Storage to keep datasets in "${name}" (it needs a secure context: https or localhost); open ABFT Studio from such an address.`);
  }
  const toUrl = (key: string) => KEY_ORIGIN + key.split('/').map(encodeURIComponent).join('/');
  return {
    async get(key) {
      const response = await (await caches.open(name)).match(toUrl(key));
      return response ? response.text() : undefined;
    },
    async put(key, text) {
      try {
        await (await caches.open(name)).put(toUrl(key), new Response(text, { headers: { 'Content-Type': 'application/json' } }));
      } catch (e) {
        throw new Error(`could not store ${key} in the browser cache "${name}": ${(e as Error).message}. Free disk space or delete cached datasets you no longer need.`);
      }
    },
  };
}
