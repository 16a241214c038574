/**
 * Training checkpoints kept in the browser: the Origin Private File System where the browser has
 * it (large files, no quota prompt), else IndexedDB. Both live in the worker, so checkpoint bytes
 * never pass through the page. A save replaces the old checkpoint of its name only once the new one
 * is complete (OPFS: a temporary file moved over it; IndexedDB: one transaction), so a reload or
 * crash during a save keeps the previous one.
 */
import { InputError } from '../data/dataset';
import type { SavedCheckpoint } from '../train/protocol';

export interface CheckpointStore {
  save(name: string, bytes: Uint8Array): Promise<void>;
  load(name: string): Promise<Uint8Array>;
  /** Removes the checkpoint; one that is not there is no error. */
  delete(name: string): Promise<void>;
  /** The checkpoints a user saved, by name; names starting with "." (autosaves) are the app's own and left out. */
  list(): Promise<SavedCheckpoint[]>;
  /** Every name, the app's own included. */
  names(): Promise<string[]>;
}

const DIRECTORY = 'abft-studio-checkpoints';
const DATABASE = 'abft-studio-checkpoints';
const OBJECT_STORE = 'checkpoints';
const EXTENSION = '.safetensors';
/** Where a save writes before it replaces the checkpoint; what a killed save leaves is overwritten by the next. */
const PARTIAL = '.partial';

/** FileSystemFileHandle.move (Chromium 110+, Firefox 111+, Safari 16.4+ in OPFS; it replaces a file of that name); TypeScript's DOM types do not have it yet. */
interface MovableHandle {
  move(destination: FileSystemDirectoryHandle, name: string): Promise<void>;
}

const isOwn = (name: string) => name.startsWith('.');

/** Names become file names: letters, digits and a few separators only, so no name can reach outside the folder. */
export function checkCheckpointName(name: string): void {
  if (!/^[\w.-]{1,100}$/.test(name) || name.startsWith('.')) {
    throw new InputError(`The checkpoint name ${JSON.stringify(name)} cannot be used; use 1 to 100 letters, digits, "-", "_" or "." (not first).`);
  }
}

function notFound(name: string): InputError {
  return new InputError(`There is no saved checkpoint named ${JSON.stringify(name)}; save one first, or pick a name from the list.`);
}

class OpfsStore implements CheckpointStore {
  constructor(private readonly root: FileSystemDirectoryHandle) {}

  private folder(): Promise<FileSystemDirectoryHandle> {
    return this.root.getDirectoryHandle(DIRECTORY, { create: true });
  }

  async save(name: string, bytes: Uint8Array): Promise<void> {
    const folder = await this.folder();
    const partial = await folder.getFileHandle(name + EXTENSION + PARTIAL, { create: true });
    const writable = await partial.createWritable();
    await writable.write(bytes as Uint8Array<ArrayBuffer>);
    await writable.close();
    // One step from the old checkpoint to the new: a move replaces the file that has the name.
    await (partial as unknown as MovableHandle).move(folder, name + EXTENSION);
  }

  async delete(name: string): Promise<void> {
    const folder = await this.folder();
    for (const fileName of [name + EXTENSION, name + EXTENSION + PARTIAL]) {
      try {
        await folder.removeEntry(fileName);
      } catch (error) {
        if (!(error instanceof DOMException && error.name === 'NotFoundError')) throw error;
      }
    }
  }

  async load(name: string): Promise<Uint8Array> {
    try {
      const handle = await (await this.folder()).getFileHandle(name + EXTENSION);
      return new Uint8Array(await (await handle.getFile()).arrayBuffer());
    } catch (error) {
      if (error instanceof DOMException && error.name === 'NotFoundError') throw notFound(name);
      throw error;
    }
  }

  async list(): Promise<SavedCheckpoint[]> {
    const out: SavedCheckpoint[] = [];
    for (const [name, handle] of await this.checkpoints()) {
      if (isOwn(name)) continue;
      const file = await handle.getFile();
      out.push({ name, bytes: file.size, savedAt: file.lastModified });
    }
    return sortByName(out);
  }

  async names(): Promise<string[]> {
    return (await this.checkpoints()).map(([name]) => name);
  }

  private async checkpoints(): Promise<[string, FileSystemFileHandle][]> {
    const out: [string, FileSystemFileHandle][] = [];
    for await (const [fileName, handle] of (await this.folder()).entries()) {
      if (handle.kind === 'file' && fileName.endsWith(EXTENSION)) out.push([fileName.slice(0, -EXTENSION.length), handle as FileSystemFileHandle]);
    }
    return out;
  }
}

interface StoredCheckpoint {
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly savedAt: number;
}

class IndexedDbStore implements CheckpointStore {
  private db: Promise<IDBDatabase> | null = null;

  private open(): Promise<IDBDatabase> {
    this.db ??= new Promise((resolve, reject) => {
      const request = indexedDB.open(DATABASE, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(OBJECT_STORE, { keyPath: 'name' });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    });
    return this.db;
  }

  private async call<T>(mode: IDBTransactionMode, operation: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const store = (await this.open()).transaction(OBJECT_STORE, mode).objectStore(OBJECT_STORE);
    return new Promise((resolve, reject) => {
      const request = operation(store);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('an IndexedDB request failed'));
    });
  }

  async save(name: string, bytes: Uint8Array): Promise<void> {
    await this.call('readwrite', (store) => store.put({ name, bytes, savedAt: Date.now() } satisfies StoredCheckpoint));
  }

  async load(name: string): Promise<Uint8Array> {
    const entry = (await this.call('readonly', (store) => store.get(name))) as StoredCheckpoint | undefined;
    if (!entry) throw notFound(name);
    return entry.bytes;
  }

  async delete(name: string): Promise<void> {
    await this.call('readwrite', (store) => store.delete(name));
  }

  async list(): Promise<SavedCheckpoint[]> {
    const entries = (await this.call('readonly', (store) => store.getAll())) as StoredCheckpoint[];
    return sortByName(entries.filter((e) => !isOwn(e.name)).map((e) => ({ name: e.name, bytes: e.bytes.byteLength, savedAt: e.savedAt })));
  }

  async names(): Promise<string[]> {
    return (await this.call('readonly', (store) => store.getAllKeys())).map(String);
  }
}

function sortByName(list: SavedCheckpoint[]): SavedCheckpoint[] {
  return list.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Checkpoints held in memory, for as long as the worker state lives: where there is no browser
 * storage (the handlers run in Node, on Dawn). Saves copy the bytes, as a file would.
 */
export class MemoryCheckpointStore implements CheckpointStore {
  private readonly entries = new Map<string, StoredCheckpoint>();

  async save(name: string, bytes: Uint8Array): Promise<void> {
    this.entries.set(name, { name, bytes: bytes.slice(), savedAt: Date.now() });
  }

  async load(name: string): Promise<Uint8Array> {
    const entry = this.entries.get(name);
    if (!entry) throw notFound(name);
    return entry.bytes.slice();
  }

  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }

  async list(): Promise<SavedCheckpoint[]> {
    return sortByName([...this.entries.values()].filter((e) => !isOwn(e.name)).map((e) => ({ name: e.name, bytes: e.bytes.byteLength, savedAt: e.savedAt })));
  }

  async names(): Promise<string[]> {
    return [...this.entries.keys()];
  }
}

/** OPFS when the browser gives a directory with writable, movable files (Chrome, Edge, Firefox), else IndexedDB. */
export async function browserCheckpointStore(): Promise<CheckpointStore> {
  try {
    const root = await navigator.storage.getDirectory();
    if ('createWritable' in FileSystemFileHandle.prototype && 'move' in FileSystemFileHandle.prototype) return new OpfsStore(root);
  } catch {
    // Private windows and some browsers refuse OPFS; IndexedDB still works there.
  }
  return new IndexedDbStore();
}
