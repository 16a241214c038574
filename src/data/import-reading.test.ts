import { describe, expect, it } from 'vitest';
import { columnsOf, guessMapping, readImport } from './import-reading';

const bytes = (text: string) => new TextEncoder().encode(text);
const asChosen = { encoding: 'utf-8', delimiter: null, mapping: null } as const;

describe('reading a file to import', () => {
  it('offers the header of a CSV and the keys of a JSONL file, and guesses text and label', () => {
    expect(columnsOf('id,sentence,label\n1,a,0\n', 'csv', ',')).toEqual(['id', 'sentence', 'label']);
    expect(columnsOf('id;sentence\n1;a\n', 'csv', ';')).toEqual(['id', 'sentence']);
    expect(columnsOf('not json\n{"review": "a", "stars": 1}\n', 'jsonl', null)).toEqual(['review', 'stars']);
    expect(guessMapping(['id', 'sentence', 'label'])).toEqual({ text: 'sentence', label: 'label' });
    expect(guessMapping(['body', 'stars'])).toEqual({ text: 'body', label: 'stars' });
  });

  it('reads the columns of a semicolon CSV or a .txt with the delimiter detected, and with the one chosen', () => {
    const text = 'id;text;label\n1;"good, really";positive\n2;bad;negative\n';
    const detected = readImport('avis.csv', bytes(text), asChosen);
    expect(detected).toMatchObject({ format: 'csv', delimiter: ';', detectedDelimiter: ';', columns: ['id', 'text', 'label'], mapping: { text: 'text', label: 'label' }, error: null });
    expect(detected.result!.dataset.rows.map((r) => r.text)).toEqual(['good, really', 'bad']);
    expect(readImport('avis.txt', bytes(text), asChosen).delimiter).toBe(';');
    const chosen = readImport('avis.csv', bytes(text), { ...asChosen, delimiter: ',' });
    expect(chosen).toMatchObject({ delimiter: ',', detectedDelimiter: ';', columns: ['id;text;label'] });
    expect(readImport('a.tsv', bytes('text\tlabel\nx;y\t1\n'), asChosen)).toMatchObject({ delimiter: '\t', detectedDelimiter: null });
  });

  it('says a file that is not UTF-8 is undecodable, and reads it as Latin-1 when asked', () => {
    const latin1 = Uint8Array.from('text,label\ncafé,1\n', (c) => c.charCodeAt(0));
    const refused = readImport('a.csv', latin1, asChosen);
    expect(refused).toMatchObject({ undecodable: true, result: null, columns: [] });
    expect(refused.error).toMatch(/^a\.csv is not valid UTF-8: byte E9 at offset 14 \(line 2;.* choose “Read as Latin-1 \(Windows-1252\)”;/);
    const read = readImport('a.csv', latin1, { ...asChosen, encoding: 'windows-1252', labelSet: ['no', 'yes'] });
    expect(read).toMatchObject({ undecodable: false, error: null });
    expect(read.result!.dataset.rows).toEqual([{ text: 'café', label: 1 }]);
  });

  it('says what is wrong with a file it cannot import at all', () => {
    expect(readImport('a.xlsx', bytes('x'), asChosen)).toMatchObject({ undecodable: false, error: expect.stringMatching(/cannot tell the format/) });
    expect(readImport('a.csv', bytes('sentence,label\nx,0\n'), { ...asChosen, mapping: { text: 'text', label: 'label' } })).toMatchObject({ columns: ['sentence', 'label'], result: null, error: expect.stringMatching(/no column "text"/) });
  });
});
