/// <reference lib="webworker" />
/**
 * The import worker: decodes, parses and maps a file the user imports, so that a file of any size
 * (one 5 MB row, or a hundred thousand short ones) never holds up the page while it is read.
 */
import { readImport } from './import-reading';
import type { ImportWorkerReply, ImportWorkerRequest } from './import-worker-client';

declare const self: DedicatedWorkerGlobalScope;

self.onmessage = async ({ data }: MessageEvent<ImportWorkerRequest>) => {
  let reply: ImportWorkerReply;
  try {
    reply = { id: data.id, reading: readImport(data.fileName, new Uint8Array(await data.file.arrayBuffer()), data.choices) };
  } catch (error) {
    reply = { id: data.id, failure: `${data.fileName} could not be read: ${error instanceof Error ? error.message : String(error)}` };
  }
  self.postMessage(reply);
};
