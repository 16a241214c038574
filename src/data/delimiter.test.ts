import { describe, expect, it } from 'vitest';
import { sniffDelimiter } from './delimiter';

describe('sniffDelimiter', () => {
  it('tells comma, semicolon, tab and pipe from the header and the first rows', () => {
    expect(sniffDelimiter('text,label\nfine,1\n', ',')).toBe(',');
    expect(sniffDelimiter('text;label\nfine, really;1\nbad, truly;0\n', ',')).toBe(';');
    expect(sniffDelimiter('text\tlabel\na, b; c\t1\n', ',')).toBe('\t');
    expect(sniffDelimiter('text|label\nfine;ok,yes|1\n', ',')).toBe('|');
  });

  it('respects quotes: a delimiter inside a quoted field does not count', () => {
    expect(sniffDelimiter('text;label\n"a; b; c, d";1\n"x, y";0\n', ',')).toBe(';');
    expect(sniffDelimiter('text,label\n"a; b; c",1\n"line\none; two",0\n', ',')).toBe(',');
  });

  it('prefers the delimiter whose rows match the header, then the one giving more columns, then the preferred one', () => {
    // Both split the header in two, but only commas keep every row at two fields.
    expect(sniffDelimiter('a,b;c\n1,2\n3,4\n', ';')).toBe(',');
    expect(sniffDelimiter('a;b;c,d\n1;2;3,4\n', ',')).toBe(';');
    expect(sniffDelimiter('a,b;c\n1,2;3\n', ';')).toBe(';');
    expect(sniffDelimiter('a,b;c\n1,2;3\n', ',')).toBe(',');
  });

  it('keeps the preferred delimiter when none splits the header', () => {
    expect(sniffDelimiter('text\nfine\n', ',')).toBe(',');
    expect(sniffDelimiter('', '\t')).toBe('\t');
  });

  it('reads only the start of a file: one huge row does not make it slow or change the answer', () => {
    const huge = `text;label\n${'word, '.repeat(1_000_000)};1\n`;
    const started = performance.now();
    expect(sniffDelimiter(huge, ',')).toBe(';');
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
