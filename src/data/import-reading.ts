/**
 * A file being imported, read as chosen so far: its bytes decoded, its delimiter (chosen or told
 * from the file), its columns, a mapping of them (chosen or guessed) and what importing with it
 * gives. One pure function of the bytes and the choices, so the app can run it off the main thread
 * (import-worker.ts) and each choice the user changes reads the file again.
 */
import { parseDelimited } from './csv';
import { decodeText, EncodingError, type FileEncoding } from './decode';
import type { Delimiter } from './delimiter';
import { defaultDelimiter, formatOf, importDataset, type ColumnMapping, type ImportFormat, type ImportResult } from './import';

export interface ReadingChoices {
  readonly encoding: FileEncoding;
  /** Null: a tab for TSV, told from the file for CSV. */
  readonly delimiter: Delimiter | null;
  /** Null: guessed from the column names. */
  readonly mapping: ColumnMapping | null;
  /** The class names the labels must be; absent, the file's labels become the classes. */
  readonly labelSet?: readonly string[];
}

export interface ImportReading {
  readonly format: ImportFormat;
  /** The delimiter the file was read with; null for JSONL. */
  readonly delimiter: Delimiter | null;
  /** The delimiter told from the file, to say which choice is the detected one; null for JSONL and TSV. */
  readonly detectedDelimiter: Delimiter | null;
  readonly columns: readonly string[];
  readonly mapping: ColumnMapping;
  readonly result: ImportResult | null;
  /** Why nothing can be imported as chosen. */
  readonly error: string | null;
  /** The bytes are not text in the chosen encoding (`error` says where); another encoding may read them. */
  readonly undecodable: boolean;
}

/** What the app tells a user to do with a file that is not UTF-8. */
export const READ_AS_LATIN1 = 'Read as Latin-1 (Windows-1252)';

/** The names a file offers for the mapping: a CSV/TSV header, or the keys of a JSONL file's first object. */
export function columnsOf(text: string, format: ImportFormat, delimiter: Delimiter | null): string[] {
  if (format !== 'jsonl') return (parseDelimited(text, delimiter ?? ',', 1)[0]?.fields ?? []).map((f) => f.trim());
  for (const line of text.split(/\r\n|\r|\n/)) {
    try {
      const value: unknown = JSON.parse(line);
      if (value && typeof value === 'object' && !Array.isArray(value)) return Object.keys(value);
    } catch {
      // A bad line is reported by the import itself; the columns come from the first good one.
    }
  }
  return [];
}

const TEXT_NAMES = ['text', 'sentence', 'review', 'content', 'question', 'tweet'];
const LABEL_NAMES = ['label', 'labels', 'class', 'category', 'sentiment', 'target'];

export function guessMapping(columns: readonly string[]): ColumnMapping {
  const find = (names: readonly string[]) => columns.find((c) => names.includes(c.toLowerCase()));
  const text = find(TEXT_NAMES) ?? columns[0] ?? '';
  return { text, label: find(LABEL_NAMES) ?? columns.find((c) => c !== text) ?? text };
}

/** A file that could not be read at all, for `error`. */
export function unreadFile(error: string, undecodable = false): ImportReading {
  return { format: 'csv', delimiter: null, detectedDelimiter: null, columns: [], mapping: { text: '', label: '' }, result: null, error, undecodable };
}

export function readImport(fileName: string, bytes: Uint8Array, choices: ReadingChoices): ImportReading {
  let format: ImportFormat;
  let text: string;
  try {
    format = formatOf(fileName);
    text = decodeText(fileName, bytes, choices.encoding, `choose “${READ_AS_LATIN1}”`).text;
  } catch (error) {
    return unreadFile((error as Error).message, error instanceof EncodingError);
  }
  const detectedDelimiter = format === 'csv' ? defaultDelimiter(format, text) : null;
  const delimiter = format === 'jsonl' ? null : (choices.delimiter ?? detectedDelimiter ?? defaultDelimiter(format, text));
  const columns = columnsOf(text, format, delimiter);
  const mapping = choices.mapping ?? guessMapping(columns);
  const reading = { format, delimiter, detectedDelimiter, columns, mapping, undecodable: false };
  try {
    const result = importDataset(fileName, text, { columns: mapping, format, delimiter: delimiter ?? undefined, labelSet: choices.labelSet });
    return { ...reading, result, error: null };
  } catch (error) {
    return { ...reading, result: null, error: (error as Error).message };
  }
}
