/**
 * An RFC 4180 reader for CSV, TSV and other delimited text (no CSV library is a dependency of the
 * project): fields in double quotes may hold the delimiter, line breaks and doubled quotes ("");
 * records end at CRLF, LF or a lone CR; a UTF-8 byte order mark is dropped. It is lenient where
 * spreadsheets are sloppy (a quote inside an unquoted field is kept as a character) and reports,
 * per record, what it cannot read, so one bad record never costs the others.
 */
import type { Delimiter } from './delimiter';

export interface DelimitedRecord {
  /** The file line the record starts on, 1-based, as an editor shows it. */
  readonly line: number;
  readonly fields: readonly string[];
  /** Why the record is unreadable (its fields are then unreliable), or null. */
  readonly problem: string | null;
}

const LINE_BREAK = /\r\n|\r|\n/g;

function lineBreaks(text: string): number {
  return text.match(LINE_BREAK)?.length ?? 0;
}

/** The first `maxRecords` records of `text`, blank lines skipped; the first record is the header, if the file has one. */
export function parseDelimited(text: string, delimiter: Delimiter, maxRecords = Infinity): DelimitedRecord[] {
  const source = text.startsWith('\uFEFF') ? text.slice(1) : text;
  const n = source.length;
  const isEnd = (c: string | undefined) => c === delimiter || c === '\n' || c === '\r';
  const records: DelimitedRecord[] = [];
  let i = 0;
  let line = 1;
  while (i < n && records.length < maxRecords) {
    const startLine = line;
    const fields: string[] = [];
    let problem: string | null = null;
    for (;;) {
      let field = '';
      if (source[i] === '"') {
        const quoteLine = line;
        let closed = false;
        i++;
        while (i < n) {
          const close = source.indexOf('"', i);
          if (close < 0) break;
          field += source.slice(i, close);
          if (source[close + 1] === '"') {
            field += '"';
            i = close + 2;
          } else {
            i = close + 1;
            closed = true;
            break;
          }
        }
        if (!closed) {
          field += source.slice(i);
          i = n;
          problem ??= `the quoted field ${fields.length + 1} opened on line ${quoteLine} is never closed; add the closing double quote (") or double the quotes inside the field ("")`;
        }
        line += lineBreaks(field);
        if (closed && i < n && !isEnd(source[i])) {
          const start = i;
          while (i < n && !isEnd(source[i])) i++;
          problem ??= `field ${fields.length + 1} has text after its closing quote (${JSON.stringify(source.slice(start, i))}); put the whole field inside the quotes and double any quote in it ("")`;
        }
      } else {
        const start = i;
        while (i < n && !isEnd(source[i])) i++;
        field = source.slice(start, i);
      }
      fields.push(field);
      if (source[i] === delimiter) {
        i++;
        continue;
      }
      if (source[i] === '\r' && source[i + 1] === '\n') i += 2;
      else if (i < n) i++;
      line++;
      break;
    }
    const blank = fields.length === 1 && fields[0] === '' && problem === null;
    if (!blank) records.push({ line: startLine, fields, problem });
  }
  return records;
}
