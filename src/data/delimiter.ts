/**
 * Which character separates the fields of a delimited file. Spreadsheets in much of Europe save
 * "CSV" with semicolons (the comma being their decimal mark), and text exports use tabs or pipes,
 * so the delimiter of a .csv or .txt file is told from its first records: the one that gives the
 * header more than one column and the rows as many fields as the header.
 */
import { parseDelimited } from './csv';

export type Delimiter = ',' | ';' | '\t' | '|';

export const DELIMITER_NAMES: Readonly<Record<Delimiter, string>> = { ',': 'comma', ';': 'semicolon', '\t': 'tab', '|': 'pipe' };

export const DELIMITERS = Object.keys(DELIMITER_NAMES) as Delimiter[];

/** Enough of a file to tell its delimiter; one huge record must not be parsed four times. */
const SAMPLE_CHARS = 64 * 1024;
const SAMPLE_RECORDS = 20;

/**
 * The delimiter under which the first records of `text` (quotes respected) have the most rows with
 * the header's field count, then the most columns; `preferred` wins a tie and is the answer when no
 * delimiter splits the header at all.
 */
export function sniffDelimiter(text: string, preferred: Delimiter): Delimiter {
  const cut = text.length > SAMPLE_CHARS;
  const sample = cut ? text.slice(0, SAMPLE_CHARS) : text;
  let best = { delimiter: preferred, consistent: -1, columns: 0 };
  for (const delimiter of [preferred, ...DELIMITERS.filter((d) => d !== preferred)]) {
    const records = parseDelimited(sample, delimiter, SAMPLE_RECORDS + 1);
    // The sample may end inside the last record it reached.
    if (cut && records.length > 1) records.pop();
    const [header, ...rows] = records;
    const columns = header?.fields.length ?? 0;
    if (columns < 2) continue;
    const consistent = rows.length === 0 ? 1 : rows.filter((r) => r.problem === null && r.fields.length === columns).length / rows.length;
    if (consistent > best.consistent || (consistent === best.consistent && columns > best.columns)) best = { delimiter, consistent, columns };
  }
  return best.delimiter;
}
