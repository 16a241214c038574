/**
 * The files of a folder the user picked (<input webkitdirectory>) or dragged onto the page, with
 * paths relative to the folder's parent, as the model loader expects them.
 */
import type { PickedFile } from '../store/model-store';

export interface PickedFolder {
  readonly label: string;
  readonly files: PickedFile[];
}

export function filesOfInput(list: FileList): PickedFolder {
  const files = [...list].map((file) => ({ path: file.webkitRelativePath || file.name, file }));
  return { label: folderLabel(files), files };
}

/** Entries must be taken while the drop event runs: the browser empties the DataTransfer afterwards. */
export function entriesOfDrop(transfer: DataTransfer): FileSystemEntry[] {
  return [...transfer.items].map((item) => item.webkitGetAsEntry()).filter((entry): entry is FileSystemEntry => entry !== null);
}

export async function filesOfEntries(entries: readonly FileSystemEntry[]): Promise<PickedFolder> {
  const files: PickedFile[] = [];
  for (const entry of entries) await walk(entry, files);
  return { label: folderLabel(files), files };
}

async function walk(entry: FileSystemEntry, into: PickedFile[]): Promise<void> {
  const path = entry.fullPath.replace(/^\/+/, '');
  if (isFile(entry)) {
    into.push({ path, file: await new Promise<File>((resolve, reject) => entry.file(resolve, reject)) });
  } else if (isDirectory(entry)) {
    for (const child of await readAll(entry.createReader())) await walk(child, into);
  }
}

/** readEntries answers in batches (100 in Chrome) until it answers an empty one. */
async function readAll(reader: FileSystemDirectoryReader): Promise<FileSystemEntry[]> {
  const all: FileSystemEntry[] = [];
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((resolve, reject) => reader.readEntries(resolve, reject));
    if (batch.length === 0) return all;
    all.push(...batch);
  }
}

function isFile(entry: FileSystemEntry): entry is FileSystemFileEntry {
  return entry.isFile;
}

function isDirectory(entry: FileSystemEntry): entry is FileSystemDirectoryEntry {
  return entry.isDirectory;
}

/** The folder's name when every file is inside one folder, else a description of the files. */
function folderLabel(files: readonly PickedFile[]): string {
  const tops = new Set(files.map((f) => (f.path.includes('/') ? f.path.split('/')[0] : '')));
  const [top] = tops;
  return tops.size === 1 && top ? `folder ${top}` : `${files.length} picked files`;
}
