/**
 * The exported folder as one .zip (fflate), built a file chunk at a time into a Blob: the weights
 * are stored as they are (float32 barely compresses, and deflating hundreds of megabytes would take
 * long), the JSON and text files deflated. No ZIP64, so the archive stays under 4 GiB, which the
 * browser limit of the export (limits.ts) already ensures.
 */
import { Zip, ZipDeflate, ZipPassThrough, type ZipInputFile } from 'fflate';
import type { ExportFile } from './folder';

const TEXT = /\.(json|txt|jinja|model)$/;

/** `root` is the folder the files unzip into, e.g. "my-model-onnx". */
export async function zipFolder(files: readonly ExportFile[], root: string, onProgress?: (done: number, total: number) => void): Promise<Blob> {
  const parts: Uint8Array<ArrayBuffer>[] = [];
  let failure: Error | null = null;
  let finished!: () => void;
  const ended = new Promise<void>((resolve) => (finished = resolve));
  const zip = new Zip((error, chunk, final) => {
    if (error) failure = error;
    else parts.push(chunk);
    if (final || error) finished();
  });
  const total = files.reduce((n, f) => n + f.size, 0);
  let done = 0;
  for (const file of files) {
    const name = `${root}/${file.path}`;
    const entry: ZipInputFile & { push(chunk: Uint8Array, final?: boolean): void } = TEXT.test(file.path) ? new ZipDeflate(name, { level: 6 }) : new ZipPassThrough(name);
    zip.add(entry);
    for await (const chunk of file.chunks()) {
      entry.push(chunk);
      done += chunk.byteLength;
      onProgress?.(done, total);
      if (failure) throw failure;
    }
    entry.push(new Uint8Array(0), true);
  }
  zip.end();
  await ended;
  if (failure) throw failure;
  return new Blob(parts, { type: 'application/zip' });
}
