/**
 * A short name that tells base models apart for checkpoint checks, independent of the folder's
 * path (a model may be moved): SHA-256 of config.json, every tensor's name, dtype and shape, and
 * the first bytes of each tensor, so models of one architecture with other weights differ too,
 * without reading gigabytes.
 */
import type { Checkpoint } from '../model/checkpoint';
import { readText, type ModelFolder } from '../model/files';
import type { ModelSpec } from '../model/spec';

const SAMPLED_BYTES = 64;

export async function modelIdentity(folder: ModelFolder, checkpoint: Checkpoint, spec: ModelSpec): Promise<string> {
  const parts: Uint8Array[] = [new TextEncoder().encode(await readText(folder.get('config.json')!))];
  for (const header of checkpoint.files) {
    for (const [name, entry] of [...header.tensors].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      parts.push(new TextEncoder().encode(`${name}:${entry.dtype}:${entry.shape.join('x')};`));
      parts.push(await header.file.read(entry.begin, Math.min(SAMPLED_BYTES, entry.end - entry.begin)));
    }
  }
  const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    all.set(p, at);
    at += p.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all));
  const hex = Array.from(digest.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join('');
  return `${spec.hfArchitecture} ${hex}`;
}
