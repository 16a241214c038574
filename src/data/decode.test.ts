import { describe, expect, it } from 'vitest';
import { decodeText, EncodingError } from './decode';

const HINT = 'pass --encoding latin1';
const utf8 = (text: string) => new TextEncoder().encode(text);
const latin1 = (text: string) => Uint8Array.from(text, (c) => c.charCodeAt(0));

function failure(bytes: Uint8Array): EncodingError {
  try {
    decodeText('avis.csv', bytes, 'utf-8', HINT);
  } catch (error) {
    if (error instanceof EncodingError) return error;
    throw error;
  }
  throw new Error('expected an EncodingError');
}

describe('decodeText', () => {
  it('reads UTF-8, dropping its byte order mark', () => {
    expect(decodeText('a.csv', utf8('text,label\ncafé,1\n'), 'utf-8', HINT)).toEqual({ text: 'text,label\ncafé,1\n', encoding: 'utf-8' });
    expect(decodeText('a.csv', Uint8Array.from([0xef, 0xbb, 0xbf, ...utf8('text')]), 'utf-8', HINT).text).toBe('text');
  });

  it('names the file, the offset and line of the first byte that is not UTF-8, its bytes in hex, and what to do', () => {
    const error = failure(latin1('text,label\r\nok,1\ncafé crème,positive\n'));
    expect(error.offset).toBe(20);
    expect(error.line).toBe(3);
    expect(error.message).toBe(
      'avis.csv is not valid UTF-8: byte E9 at offset 20 (line 3; the bytes from there: E9 20 63 72) is not UTF-8. Read as Latin-1, that part of the line is "café crème,positive". If the file is Latin-1 (Windows-1252), pass --encoding latin1; otherwise save it as UTF-8 and try again.',
    );
  });

  it('finds the bad byte after valid multi-byte characters and a U+FFFD the file itself holds', () => {
    const bytes = Uint8Array.from([...utf8('€\uFFFD ok\n'), 0x80, 0x41]);
    const error = failure(bytes);
    expect(error.offset).toBe(10);
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/byte 80 at offset 10 \(line 2; the bytes from there: 80 41\)/);
    // A sequence cut short (a lead byte without its continuation) is found at its lead byte.
    expect(failure(Uint8Array.from([0x61, 0xe2, 0x82, 0x0a])).offset).toBe(1);
  });

  it('keeps the message short around a bad byte in a huge line', () => {
    const bytes = latin1(`${'x'.repeat(100_000)}é${'y'.repeat(100_000)}`);
    const error = failure(bytes);
    expect(error.offset).toBe(100_000);
    expect(error.message.length).toBeLessThan(400);
  });

  it('reads Latin-1 as Windows-1252 when asked: é is E9, € is 80', () => {
    expect(decodeText('a.csv', latin1('café 5 \x80'), 'windows-1252', HINT)).toEqual({ text: 'café 5 €', encoding: 'windows-1252' });
    const high = Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i);
    expect(decodeText('a.csv', high, 'windows-1252', HINT).text).toBe('€\u0081‚ƒ„…†‡ˆ‰Š‹Œ\u008DŽ\u008F\u0090‘’“”•–—˜™š›œ\u009DžŸ');
  });

  it('reads UTF-16 with a byte order mark, and says so when such a file is broken', () => {
    const le = Uint8Array.from([0xff, 0xfe, ...[...'hé'].flatMap((c) => [c.charCodeAt(0), 0])]);
    expect(decodeText('u.csv', le, 'utf-8', HINT)).toEqual({ text: 'hé', encoding: 'utf-16le' });
    const be = Uint8Array.from([0xfe, 0xff, 0, 0x68, 0, 0xe9]);
    expect(decodeText('u.csv', be, 'utf-8', HINT)).toEqual({ text: 'hé', encoding: 'utf-16be' });
    // A lone high surrogate.
    expect(() => decodeText('u.csv', Uint8Array.from([0xff, 0xfe, 0x3d, 0xd8, 0x41, 0]), 'utf-8', HINT)).toThrow(
      'u.csv starts with a UTF-16 byte order mark but is not valid UTF-16 text; save it as UTF-8 and try again.',
    );
  });
});
