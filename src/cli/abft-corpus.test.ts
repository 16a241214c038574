import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { corpusChunk } from '../classroom/corpus';
import { FAMILIES, familyById } from '../classroom/families';
import { VOCAB_SIZE } from '../classroom/vocabulary';
import { runAbft } from './testing/run-abft';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abft-corpus-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const CONFIG = {
  model: { layers: 1, hidden: 16, heads: 2 },
  corpus: { seed: 5, length: 48, families: ['word-alone', 'category-all'] },
  steps: 10,
  eval: { sequences: 4, seed: 77 },
};

describe('abft corpus', () => {
  it('writes the training sequences in training order and every family\'s evaluation sequences, as the pretraining run makes them', async () => {
    const config = join(dir, 'run.json');
    await writeFile(config, JSON.stringify(CONFIG));
    const out = join(dir, 'corpus');
    const r = await runAbft('corpus', '--config', config, '--sequences', '6', '--out', out);
    expect(r.code).toBe(0);
    const description = JSON.parse(await readFile(join(out, 'corpus.json'), 'utf8'));
    expect(description).toMatchObject({ length: 48, train: { sequences: 6, seed: 5, families: ['word-alone', 'category-all'] }, eval: { sequences: 4, seed: 77 }, vocabSize: VOCAB_SIZE });
    const tokens = async (name: string) => {
      const bytes = await readFile(join(out, `${name}.tokens.bin`));
      return new Int32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    };
    const train = corpusChunk({ seed: 5, length: 48, families: CONFIG.corpus.families.map(familyById) }, 0, 6);
    expect(Array.from(await tokens('train'))).toEqual(Array.from(train.tokens));
    expect(new Uint8Array(await readFile(join(out, 'train.labels.bin')))).toEqual(train.labelMask);
    expect(JSON.parse(await readFile(join(out, 'model', 'config.json'), 'utf8'))).toMatchObject({ model_type: 'llama', hidden_size: 16, num_hidden_layers: 1, vocab_size: VOCAB_SIZE });
    expect(JSON.parse(await readFile(join(out, 'model', 'tokenizer.json'), 'utf8')).model.type).toBe('WordLevel');
    for (const family of FAMILIES) {
      const chunk = corpusChunk({ seed: 77, length: 48, families: [family] }, 0, 4);
      expect(Array.from(await tokens(`eval-${family.id}`))).toEqual(Array.from(chunk.tokens));
    }
  });

  it('names a bad option or config, and exits with 2', async () => {
    expect((await runAbft('corpus', '--config', join(dir, 'none.json'), '--sequences', '3', '--out', dir)).err).toEqual([`abft: --config ${join(dir, 'none.json')} does not exist`]);
    const config = join(dir, 'ok.json');
    await writeFile(config, JSON.stringify(CONFIG));
    expect((await runAbft('corpus', '--config', config, '--sequences', 'many', '--out', dir)).err).toEqual(['abft: --sequences is "many"; it must be a whole number of 0 or more']);
    expect((await runAbft('corpus', '--config', config, '--sequences', '0', '--out', dir)).err).toEqual(['abft: --sequences is "0"; it must be at least 1']);
    expect((await runAbft('corpus', '--config', config, '--out', dir)).err).toEqual(['abft: missing --sequences; see abft --help']);
  });
});
