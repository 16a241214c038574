import { describe, expect, it } from 'vitest';
import { parseDelimited } from './csv';
import { formatOf, importDataset } from './import';

const columns = { text: 'text', label: 'label' };
const labelSet = ['negative', 'positive'];

describe('parseDelimited', () => {
  it('reads quotes, doubled quotes, CRLF, embedded line breaks and a BOM (RFC 4180)', () => {
    const csv = '\uFEFFa,b\r\n"x, ""y""",2\r\n"line one\r\nline two",3\r\n\r\nlast,4';
    expect(parseDelimited(csv, ',')).toEqual([
      { line: 1, fields: ['a', 'b'], problem: null },
      { line: 2, fields: ['x, "y"', '2'], problem: null },
      { line: 3, fields: ['line one\r\nline two', '3'], problem: null },
      { line: 6, fields: ['last', '4'], problem: null },
    ]);
  });

  it('keeps empty fields, a lone CR as a line end, and a quote inside an unquoted field', () => {
    expect(parseDelimited('a,,c\r5" pipe,"",x\n', ',')).toEqual([
      { line: 1, fields: ['a', '', 'c'], problem: null },
      { line: 2, fields: ['5" pipe', '', 'x'], problem: null },
    ]);
  });

  it('reports text after a closing quote and an unclosed quote, with the line they start on', () => {
    const [bad, unclosed] = parseDelimited('"ab"c,1\nok,"never\nclosed', ',');
    expect(bad.line).toBe(1);
    expect(bad.problem).toMatch(/field 1 has text after its closing quote \("c"\)/);
    expect(unclosed.line).toBe(2);
    expect(unclosed.problem).toMatch(/quoted field 2 opened on line 2 is never closed/);
  });
});

describe('importDataset', () => {
  it('imports CSV with quotes, CRLF, embedded newlines and a BOM, reporting bad rows by line while keeping good ones', () => {
    const csv = [
      '\uFEFFid,text,label',
      '1,"a ""gorgeous"" film, really",positive',
      '2,"line one',
      'line two",negative',
      '3,plain text,1',
      '4,so so,happy',
      '5,,negative',
      '6,too,many,fields',
      '7,Shouting,POSITIVE',
      '',
    ].join('\r\n');
    const { dataset, problems } = importDataset('reviews.csv', csv, { columns, labelSet });
    expect(dataset.rows).toEqual([
      { text: 'a "gorgeous" film, really', label: 1 },
      { text: 'line one\r\nline two', label: 0 },
      { text: 'plain text', label: 1 },
      { text: 'Shouting', label: 1 },
    ]);
    expect(dataset.labelSet).toEqual(labelSet);
    expect(problems.map((p) => [p.line, p.field])).toEqual([
      [6, 'label'],
      [7, 'text'],
      [8, undefined],
    ]);
    expect(problems[0].message).toBe(
      'reviews.csv, line 6: field "label" is "happy", which is not one of the labels (0 = negative, 1 = positive); change it to a label name or number, or remove the row.',
    );
    expect(problems[0]).toMatchObject({ file: 'reviews.csv', value: 'happy' });
    expect(problems[1].message).toMatch(/^reviews\.csv, line 7: field "text" is empty; give the row a text/);
    expect(problems[2].message).toMatch(/line 8: the row has 4 fields but the header has 3; put double quotes around fields that contain a comma/);
  });

  it('imports TSV with the mapping picking columns in any order', () => {
    const tsv = 'label\tsentence\tsource\n0\ta dull film .\tweb\n1\t"a tab\there"\tweb\n';
    const { dataset, problems } = importDataset('data.tsv', tsv, { columns: { text: 'sentence', label: 'label' }, labelSet });
    expect(problems).toEqual([]);
    expect(dataset.rows).toEqual([
      { text: 'a dull film .', label: 0 },
      { text: 'a tab\there', label: 1 },
    ]);
  });

  it('imports JSONL with string or numeric labels, reporting bad JSON, missing text and unknown labels by line', () => {
    const jsonl = [
      '{"text": "a gorgeous film .", "label": 1}',
      '{"text": "a dull film .", "label": "negative"}',
      '{"text": "broken", "label": 1',
      '',
      '{"review": "wrong key", "label": 0}',
      '{"text": "unknown", "label": 7}',
      '["not", "an", "object"]',
      '{"text": "last", "label": 0}',
    ].join('\n');
    const { dataset, problems } = importDataset('train.jsonl', jsonl, { columns, labelSet });
    expect(dataset.rows).toEqual([
      { text: 'a gorgeous film .', label: 1 },
      { text: 'a dull film .', label: 0 },
      { text: 'last', label: 0 },
    ]);
    expect(problems.map((p) => p.line)).toEqual([3, 5, 6, 7]);
    expect(problems[0].message).toMatch(/^train\.jsonl, line 3: the line is not valid JSON \(.+\); write one JSON object per line/);
    expect(problems[1].message).toMatch(/line 5: the object has no field "text" for the text \(its fields: "review", "label"\)/);
    expect(problems[2]).toMatchObject({ field: 'label', value: '7' });
    expect(problems[3].message).toMatch(/not a JSON object/);
  });

  it('infers the label set from the file when none is given', () => {
    const numeric = importDataset('a.csv', 'text,label\nx,2\ny,0\nz,1\n', { columns });
    expect(numeric.dataset.labelSet).toEqual(['0', '1', '2']);
    expect(numeric.dataset.rows.map((r) => r.label)).toEqual([2, 0, 1]);
    const named = importDataset('b.jsonl', '{"text":"x","label":"joy"}\n{"text":"y","label":"anger"}\n{"text":"z","label":"joy"}', { columns });
    expect(named.dataset.labelSet).toEqual(['joy', 'anger']);
    expect(named.dataset.rows.map((r) => r.label)).toEqual([0, 1, 0]);
  });

  it('rejects a file without the mapped column or without any content, saying what it has', () => {
    expect(() => importDataset('a.csv', 'sentence,label\nx,0\n', { columns, labelSet })).toThrow(
      'a.csv has no column "text" for the text; its columns are "sentence", "label". Pick one of them.',
    );
    expect(() => importDataset('a.csv', '', { columns, labelSet })).toThrow(/a\.csv is empty/);
    expect(() => importDataset('a.jsonl', '\n\n', { columns, labelSet })).toThrow(/a\.jsonl is empty/);
  });

  it('tells the format from the extension', () => {
    expect(formatOf('x.CSV')).toBe('csv');
    expect(formatOf('x.tsv')).toBe('tsv');
    expect(formatOf('x.ndjson')).toBe('jsonl');
    expect(formatOf('notes.txt')).toBe('csv');
    expect(() => formatOf('x.xlsx')).toThrow(/use a \.csv, \.tsv, \.txt or \.jsonl file/);
  });
});
