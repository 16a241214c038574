/**
 * A zustand `persist` storage over IndexedDB. localStorage holds ~5 MB of strings and blocks the
 * page on every write; a dataset of thousands of rows needs neither limit. Values are stored by
 * structured clone, so no JSON of the whole dataset is built on each edit.
 */
import type { PersistStorage, StorageValue } from 'zustand/middleware';

export type SaveStatus = { readonly state: 'saved' } | { readonly state: 'saving' } | { readonly state: 'failed'; readonly message: string };

export interface IdbStorageOptions {
  readonly database: string;
  /** Told when a write starts, ends, or fails, so the UI can say whether the data is safe. */
  readonly onStatus?: (status: SaveStatus) => void;
}

const OBJECT_STORE = 'state';

/**
 * Runs `write` for the latest value only: while one write is in flight, later values replace each
 * other and only the last is written after it. Typing in an editor then costs one write in flight
 * and one waiting, never a queue of stale copies of the dataset. Each call's promise settles when a
 * write of its value or of a newer one has.
 */
export function latestWins<T>(write: (value: T) => Promise<void>): (value: T) => Promise<void> {
  let running: Promise<void> | null = null;
  let waiting: { value: T; done: Promise<void> } | null = null;
  const run = (value: T): Promise<void> => {
    const done = write(value).finally(() => {
      // With a value waiting, `running` stays set until its write starts, so no call slips in beside it.
      if (!waiting && running === done) running = null;
    });
    running = done;
    return done;
  };
  return (value) => {
    if (!running) return run(value);
    if (waiting) {
      waiting.value = value;
      return waiting.done;
    }
    const holder = { value } as { value: T; done: Promise<void> };
    holder.done = running
      .catch(() => undefined)
      .then(() => {
        waiting = null;
        return run(holder.value);
      });
    waiting = holder;
    return holder.done;
  };
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function openDatabase(name: string): Promise<IDBDatabase> {
  const req = indexedDB.open(name, 1);
  req.onupgradeneeded = () => req.result.createObjectStore(OBJECT_STORE);
  return request(req);
}

async function transact<T>(db: Promise<IDBDatabase>, mode: IDBTransactionMode, run: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const tx = (await db).transaction(OBJECT_STORE, mode);
  const result = request(run(tx.objectStore(OBJECT_STORE)));
  // A write is only safe once its transaction commits, not when its request succeeds.
  await new Promise<void>((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
  return result;
}

/** Whether two persisted states hold the same values in every field (by reference, one level deep). */
export function sameFields(a: object | undefined, b: object): boolean {
  if (!a) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(y);
  return keys.length === Object.keys(x).length && keys.every((key) => Object.is(x[key], y[key]));
}

/**
 * `persist` writes on every `set`, also of fields it leaves out (a progress bar's value); a write
 * whose persisted fields are all the ones last read or written is skipped.
 */
export function idbStorage<S extends object>({ database, onStatus }: IdbStorageOptions): PersistStorage<S> {
  let db: Promise<IDBDatabase> | null = null;
  const last = new Map<string, S>();
  // Writes not yet settled: "saved" is only true once none is.
  let pending = 0;
  const open = () => (db ??= openDatabase(database));
  const writers = new Map<string, (value: StorageValue<S>) => Promise<void>>();
  const writerOf = (name: string) => {
    let writer = writers.get(name);
    if (!writer) {
      writer = latestWins((value: StorageValue<S>) => transact(open(), 'readwrite', (s) => s.put(value, name)).then(() => undefined));
      writers.set(name, writer);
    }
    return writer;
  };
  const available = typeof indexedDB !== 'undefined';

  return {
    async getItem(name) {
      if (!available) return null;
      const value = ((await transact(open(), 'readonly', (s) => s.get(name))) as StorageValue<S> | undefined) ?? null;
      if (value) last.set(name, value.state);
      return value;
    },
    async setItem(name, value) {
      if (!available || sameFields(last.get(name), value.state)) return;
      last.set(name, value.state);
      pending++;
      onStatus?.({ state: 'saving' });
      try {
        await writerOf(name)(value);
        if (--pending === 0) onStatus?.({ state: 'saved' });
      } catch (error) {
        pending--;
        const reason = error instanceof Error ? error.message : String(error);
        onStatus?.({ state: 'failed', message: `Changes could not be saved in this browser (${reason}); free disk space or leave private browsing, then edit again.` });
      }
    },
    async removeItem(name) {
      if (!available) return;
      last.delete(name);
      await transact(open(), 'readwrite', (s) => s.delete(name));
    },
  };
}

/** One value kept under `key` in its own database, for state that is written at chosen moments (not on every `set`) and must know when it is safe. */
export interface IdbValue<T> {
  get(): Promise<T | undefined>;
  /** Settles once the value (or a newer one given meanwhile) is committed; rejects when it could not be. */
  put(value: T): Promise<void>;
  delete(): Promise<void>;
}

export function idbValue<T>(database: string, key: string): IdbValue<T> {
  let db: Promise<IDBDatabase> | null = null;
  const open = () => (db ??= openDatabase(database));
  // Deletes go through the same writer as puts, so a delete is never overtaken by a put given before it.
  const write = latestWins(async (value: T | undefined) => {
    if (value === undefined) await transact(open(), 'readwrite', (s) => s.delete(key));
    else await transact(open(), 'readwrite', (s) => s.put(value, key));
  });
  return {
    get: async () => (typeof indexedDB === 'undefined' ? undefined : ((await transact(open(), 'readonly', (s) => s.get(key))) as T | undefined)),
    put: (value) => write(value),
    delete: () => write(undefined),
  };
}
