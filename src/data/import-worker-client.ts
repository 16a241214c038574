/**
 * The page's side of the import worker: reading a file as chosen is one promise. Where there is no
 * Web Worker (Node, where the store's tests run) the same reading runs in-process.
 */
import { readImport, type ImportReading, type ReadingChoices } from './import-reading';

export interface ImportWorkerRequest {
  readonly id: number;
  /** The file itself: a Blob is handed to the worker by reference, so the page never copies its bytes. */
  readonly file: Blob;
  readonly fileName: string;
  readonly choices: ReadingChoices;
}

export type ImportWorkerReply = { readonly id: number; readonly reading: ImportReading } | { readonly id: number; readonly failure: string };

let worker: Worker | null = null;
let nextId = 1;
const pending = new Map<number, { resolve: (reading: ImportReading) => void; reject: (error: Error) => void }>();

function importWorker(): Worker {
  if (worker) return worker;
  const started = new Worker(new URL('./import-worker.ts', import.meta.url), { type: 'module', name: 'import' });
  started.onmessage = ({ data }: MessageEvent<ImportWorkerReply>) => {
    const call = pending.get(data.id);
    pending.delete(data.id);
    if ('reading' in data) call?.resolve(data.reading);
    else call?.reject(new Error(data.failure));
  };
  started.onerror = (event) => {
    for (const call of pending.values()) call.reject(new Error(`The import worker crashed: ${event.message}`));
    pending.clear();
    worker = null;
  };
  worker = started;
  return started;
}

export async function readImportOffThread(file: Blob, fileName: string, choices: ReadingChoices): Promise<ImportReading> {
  if (typeof Worker === 'undefined') return readImport(fileName, new Uint8Array(await file.arrayBuffer()), choices);
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    importWorker().postMessage({ id, file, fileName, choices } satisfies ImportWorkerRequest);
  });
}
