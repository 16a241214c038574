/** The JSON files the parity tools read (token ids, prompts), checked so that bad ones are named. */
import { readFile } from 'node:fs/promises';
import { InputError } from '../data/dataset';

export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new InputError(`${path} ${code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})`}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new InputError(`${path} is not valid JSON (${(error as Error).message})`);
  }
}

/** Throws unless `ids` is a non-empty list of at most `maxLength` token ids of the model's vocabulary. */
export function checkTokenIds(ids: unknown, where: string, vocabSize: number, maxLength: number): asserts ids is number[] {
  if (!Array.isArray(ids) || ids.length === 0) throw new InputError(`${where} is ${JSON.stringify(ids)?.slice(0, 40)}; it must be a non-empty list of token ids`);
  if (ids.length > maxLength) throw new InputError(`${where} has ${ids.length} tokens; the model takes at most ${maxLength}`);
  const bad = ids.findIndex((id) => !Number.isInteger(id) || id < 0 || id >= vocabSize);
  if (bad >= 0) throw new InputError(`${where}, token ${bad}, is ${JSON.stringify(ids[bad])}; token ids of this model are whole numbers from 0 to ${vocabSize - 1}`);
}
