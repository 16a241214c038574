import { describe, expect, it } from 'vitest';
import { memoryFolder } from '../model/files';
import { loadTokenizer, type ModelTokenizer } from '../model/tokenizer';
import { corpusChunk } from './corpus';
import { HELD_OUT_FAMILIES } from './families';
import { textOf } from './lines';
import { classroomTokenizerFiles } from './tokenizer-files';
import { IDS, INPUT_PREFIXES, LABEL_PREFIXES, LABEL_WORDS, SEPARATORS, TOKENS, VOCAB_SIZE } from './vocabulary';

const load = (): Promise<ModelTokenizer> => loadTokenizer(memoryFolder('classroom', { ...classroomTokenizerFiles(256) }));

describe('the classroom tokenizer', () => {
  it('loads through the project tokenizer loader with one id per vocabulary entry and <bos> first', async () => {
    const tokenizer = await load();
    expect(tokenizer.vocabSize).toBe(VOCAB_SIZE);
    expect(VOCAB_SIZE).toBeLessThan(300);
    expect(tokenizer.specialTokens.bos).toBe(IDS.bos);
    expect(tokenizer.specialTokens.unk).toBe(IDS.unk);
    expect(tokenizer.specialTokens.pad).toBe(IDS.pad);
    for (const token of TOKENS.filter((t) => t.kind !== 'special')) {
      expect(tokenizer.encode(token.text), JSON.stringify(token.text)).toEqual([IDS.bos, token.id]);
    }
  });

  it('makes every label word, prefix and separator one token, alone as tokenIdOf reads it', async () => {
    const tokenizer = await load();
    for (const text of [...LABEL_WORDS, ...INPUT_PREFIXES, ...LABEL_PREFIXES, ...SEPARATORS]) {
      expect(tokenizer.tokenIdOf(text), JSON.stringify(text)).toHaveLength(1);
    }
  });

  it('gives back the generator token ids for the text of pretraining sequences, with offsets that spell the text', async () => {
    const tokenizer = await load();
    const chunk = corpusChunk({ seed: 5, length: 96, frameVariety: 1 }, 0, 12);
    const heldOut = corpusChunk({ seed: 6, length: 96, families: HELD_OUT_FAMILIES }, 0, 12);
    for (const { tokens, length, count } of [chunk, heldOut]) {
      for (let s = 0; s < count; s++) {
        const ids = [...tokens.subarray(s * length, (s + 1) * length)].filter((id) => id !== IDS.pad);
        const text = textOf(ids);
        const { ids: encoded, offsets } = tokenizer.encodeWithOffsets(text);
        expect(encoded).toEqual(ids);
        expect(tokenizer.decode(encoded.slice(1))).toBe(text);
        expect(offsets.map(([a, b]) => text.slice(a, b))).toEqual(ids.map((id) => (id === IDS.bos ? '' : TOKENS[id].text)));
      }
    }
  });

  it('keeps a label word bare before " \\n" and "\\n\\n", and spells out a doubled space', async () => {
    const tokenizer = await load();
    const text = 'input: cat Label: alpha \ntext: the  dog answer: beta\n\nInput: red Label: ';
    const { ids } = tokenizer.encodeWithOffsets(text);
    expect(ids.map((id) => TOKENS[id].text)).toEqual([
      '<bos>', 'input: ', 'cat ', 'Label: ', 'alpha', ' \n', 'text: ', 'the ', ' ', 'dog ', 'answer: ', 'beta', '\n\n', 'Input: ', 'red ', 'Label: ',
    ]);
  });
});
