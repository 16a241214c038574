/**
 * A model's files, wherever they come from (a folder on disk in Node, files the user picked or
 * dropped in the browser, the Hub cache, memory in tests), read by byte range so that a checkpoint
 * larger than one ArrayBuffer can still be loaded tensor by tensor.
 */
export interface ModelFile {
  readonly name: string;
  readonly size: number;
  /** Bytes [offset, offset + length); rejects when the range is outside the file. */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface ModelFolder {
  /** Where the files came from, for messages: a path, "Hub: org/name@rev", "dropped folder". */
  readonly label: string;
  /** File names relative to the folder, e.g. "config.json", "model-00001-of-00002.safetensors". */
  names(): readonly string[];
  get(name: string): ModelFile | undefined;
}

export async function readText(file: ModelFile): Promise<string> {
  return new TextDecoder().decode(await file.read(0, file.size));
}

export function memoryFile(name: string, bytes: Uint8Array): ModelFile {
  return {
    name,
    size: bytes.byteLength,
    async read(offset, length) {
      if (offset < 0 || length < 0 || offset + length > bytes.byteLength) {
        throw new RangeError(`${name}: bytes ${offset}..${offset + length} are outside the file's ${bytes.byteLength} bytes`);
      }
      return bytes.subarray(offset, offset + length);
    },
  };
}

export function memoryFolder(label: string, files: Readonly<Record<string, Uint8Array | string>>): ModelFolder {
  const map = new Map<string, ModelFile>();
  for (const [name, content] of Object.entries(files)) {
    map.set(name, memoryFile(name, typeof content === 'string' ? new TextEncoder().encode(content) : content));
  }
  return { label, names: () => [...map.keys()], get: (name) => map.get(name) };
}
