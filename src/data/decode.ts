/**
 * The text of a data file from its bytes. A file is read as UTF-8 unless Latin-1 is asked for, and
 * bytes that are not UTF-8 stop the import with where the first one is: decoding them to U+FFFD
 * would garble every accented letter without a word. Such files are nearly always Latin-1 as
 * Windows writes it (Windows-1252), which the caller can offer. A UTF-8 byte order mark is dropped;
 * a UTF-16 one means the file is UTF-16 ("Unicode text" from a spreadsheet), read as such.
 */
import { InputError, quote } from './dataset';

/** What a data file may be read as: UTF-8, or Latin-1 in its Windows-1252 form (which browsers and Node give for "latin1"). */
export type FileEncoding = 'utf-8' | 'windows-1252';

export const ENCODING_NAMES: Readonly<Record<FileEncoding, string>> = { 'utf-8': 'UTF-8', 'windows-1252': 'Latin-1 (Windows-1252)' };

export interface DecodedFile {
  readonly text: string;
  /** What the bytes were read as: the encoding asked for, or UTF-16 when the file starts with its byte order mark. */
  readonly encoding: FileEncoding | 'utf-16le' | 'utf-16be';
}

/** Bytes that are not text in the encoding they were read as; `offset` and `line` say where the first bad byte is. */
export class EncodingError extends InputError {
  constructor(
    message: string,
    readonly offset: number,
    readonly line: number,
  ) {
    super(message);
    this.name = 'EncodingError';
  }
}

/**
 * Windows-1252's characters for the bytes 80-9F (the WHATWG Encoding table; 81, 8D, 8F, 90 and 9D
 * have none and stay as they are). Node 20's decoder gives these bytes Latin-1's control characters
 * instead, and they hold the € and the curly quotes that such files are full of.
 */
const WINDOWS_1252_80_9F =
  '\u20AC\u0081\u201A\u0192\u201E\u2026\u2020\u2021\u02C6\u2030\u0160\u2039\u0152\u008D\u017D\u008F' +
  '\u0090\u2018\u2019\u201C\u201D\u2022\u2013\u2014\u02DC\u2122\u0161\u203A\u0153\u009D\u017E\u0178';

function decodeWindows1252(bytes: Uint8Array): string {
  return new TextDecoder('windows-1252').decode(bytes).replace(/[\u0080-\u009F]/g, (c) => WINDOWS_1252_80_9F[c.charCodeAt(0) - 0x80]);
}

/** Bytes shown from the first bad one on, and around it as Latin-1, in the message. */
const SHOWN_BYTES = 4;
const CONTEXT_BYTES = 40;

/**
 * `bytes` as text. `toReadAsLatin1` completes the message of a file that is not UTF-8 with how to
 * ask for Latin-1 where the caller is (an option, a button).
 */
export function decodeText(fileName: string, bytes: Uint8Array, encoding: FileEncoding, toReadAsLatin1: string): DecodedFile {
  if (encoding === 'windows-1252') return { text: decodeWindows1252(bytes), encoding };
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : null;
  if (utf16) {
    try {
      return { text: new TextDecoder(utf16, { fatal: true }).decode(bytes), encoding: utf16 };
    } catch {
      throw new InputError(`${fileName} starts with a UTF-16 byte order mark but is not valid UTF-16 text; save it as UTF-8 and try again.`);
    }
  }
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding };
  } catch {
    throw notUtf8(fileName, bytes, toReadAsLatin1);
  }
}

function notUtf8(fileName: string, bytes: Uint8Array, toReadAsLatin1: string): EncodingError {
  const offset = firstInvalidUtf8Byte(bytes);
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset; i++) {
    // CRLF ends one line; a lone CR or LF ends one too.
    if (bytes[i] === 0x0a || (bytes[i] === 0x0d && bytes[i + 1] !== 0x0a)) {
      line++;
      lineStart = i + 1;
    }
  }
  const hex = (b: number) => b.toString(16).toUpperCase().padStart(2, '0');
  const shown = [...bytes.subarray(offset, offset + SHOWN_BYTES)].map(hex).join(' ');
  const around = decodeWindows1252(bytes.subarray(Math.max(lineStart, offset - CONTEXT_BYTES), offset + CONTEXT_BYTES)).split(/\r|\n/)[0];
  return new EncodingError(
    `${fileName} is not valid UTF-8: byte ${hex(bytes[offset])} at offset ${offset} (line ${line}; the bytes from there: ${shown}) is not UTF-8. Read as Latin-1, that part of the line is ${quote(around, 2 * CONTEXT_BYTES)}. If the file is Latin-1 (Windows-1252), ${toReadAsLatin1}; otherwise save it as UTF-8 and try again.`,
    offset,
    line,
  );
}

/**
 * The offset of the first byte that does not begin a valid UTF-8 sequence, found from the decoder's
 * own replacement characters: the text before each one re-encodes to exactly its bytes, so its
 * encoded length is the offset; a U+FFFD that the file itself holds (EF BF BD) is skipped.
 */
function firstInvalidUtf8Byte(bytes: Uint8Array): number {
  const text = new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes);
  const encoder = new TextEncoder();
  let offset = 0;
  let done = 0;
  for (let i = text.indexOf('\uFFFD'); i >= 0; i = text.indexOf('\uFFFD', i + 1)) {
    offset += encoder.encode(text.slice(done, i)).length;
    done = i;
    if (bytes[offset] !== 0xef || bytes[offset + 1] !== 0xbf || bytes[offset + 2] !== 0xbd) return offset;
  }
  throw new Error('firstInvalidUtf8Byte: the fatal decoder refused bytes that decode without a replacement');
}
