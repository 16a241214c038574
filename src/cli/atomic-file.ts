/**
 * Output files that are never half-written: the bytes go to a temporary file beside the target,
 * are flushed to the disk, and only then renamed over it, so a kill or a full disk at any moment
 * leaves either the previous file or the new one, complete. A rename within one directory is
 * atomic on POSIX file systems and on NTFS.
 *
 * Not npm's write-file-atomic: it writes with one fs.write call, which stops at 2 GiB, and a
 * checkpoint or model export of a larger model passes that.
 */
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Temporary files are named `<target>.partial-<pid>`, so a later run can tell leftovers from other files. */
const PARTIAL = '.partial-';
const LEFTOVER = /\.partial-\d+$/;

export interface AtomicWriteOptions {
  /** How the bytes reach the temporary file; tests pass one that fails partway. */
  readonly write?: (file: FileHandle, data: Uint8Array | string) => Promise<void>;
}

export async function writeFileAtomic(path: string, data: Uint8Array | string, { write = (file, d) => file.writeFile(d) }: AtomicWriteOptions = {}): Promise<void> {
  const temporary = `${path}${PARTIAL}${process.pid}`;
  try {
    const file = await open(temporary, 'w');
    try {
      await write(file, data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** The rename itself is only durable once the directory entry is flushed; Windows cannot open a directory for that, and needs no such step. */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Removes the temporary files a killed run left in `dir`: a SIGKILL gives it no chance to clean up. */
export async function removeLeftoverPartials(dir: string): Promise<void> {
  for (const entry of await readdir(dir)) {
    if (LEFTOVER.test(entry)) await rm(join(dir, entry), { force: true });
  }
}
