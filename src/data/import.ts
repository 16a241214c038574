/**
 * A user's own dataset from a CSV, TSV, delimited .txt or JSONL file: the columns named by a
 * mapping become rows of text and class id. Every row that cannot be used becomes a problem naming
 * the file, its line, the field and the value and saying what to fix; the good rows are kept, so
 * one typo never costs a whole file.
 */
import { parseDelimited } from './csv';
import { InputError, quote, type Dataset, type Row } from './dataset';
import { DELIMITER_NAMES, sniffDelimiter, type Delimiter } from './delimiter';

export type ImportFormat = 'csv' | 'tsv' | 'jsonl';

/** Which column (CSV/TSV header) or key (JSONL) holds each field of a row. */
export interface ColumnMapping {
  readonly text: string;
  readonly label: string;
}

export interface ImportOptions {
  readonly columns: ColumnMapping;
  /** Read from the file name's extension when absent. */
  readonly format?: ImportFormat;
  /** Of a CSV or TSV file; when absent, a tab for TSV, and told from the first records for CSV. */
  readonly delimiter?: Delimiter;
  /**
   * The class names, index = class id. A label value is matched to a name (exactly, then ignoring
   * case), else read as a class id (0, 1, …). When absent the classes are the distinct labels of
   * the good rows: in numeric order if all are whole numbers, else in order of first appearance.
   */
  readonly labelSet?: readonly string[];
}

export interface ImportProblem {
  readonly file: string;
  /** 1-based line of the file where the row starts. */
  readonly line: number;
  readonly field?: string;
  readonly value?: string;
  /** The whole message, file and line included, ready to show. */
  readonly message: string;
}

export interface ImportResult {
  readonly dataset: Dataset;
  readonly problems: readonly ImportProblem[];
}

/** A row read from the file before its label is resolved to a class id. */
interface RawRow {
  readonly line: number;
  readonly text: string;
  readonly label: string | number;
}

/** The format of a file by its name; a .txt file is read as delimited text, like CSV. */
export function formatOf(fileName: string): ImportFormat {
  const ext = fileName.toLowerCase().split('.').pop();
  if (ext === 'csv' || ext === 'txt') return 'csv';
  if (ext === 'tsv' || ext === 'tab') return 'tsv';
  if (ext === 'jsonl' || ext === 'ndjson') return 'jsonl';
  throw new InputError(`${fileName}: cannot tell the format from the name; use a .csv, .tsv, .txt or .jsonl file or pick the format.`);
}

/** The delimiter a CSV or TSV file is read with when none is chosen: TSV's tab, or the one CSV's first records use. */
export function defaultDelimiter(format: 'csv' | 'tsv', text: string): Delimiter {
  return format === 'tsv' ? '\t' : sniffDelimiter(text, ',');
}

export function importDataset(fileName: string, text: string, options: ImportOptions): ImportResult {
  const problems: ImportProblem[] = [];
  const report = (line: number, message: string, field?: string, value?: string) =>
    problems.push({ file: fileName, line, field, value, message: `${fileName}, line ${line}: ${message}` });
  const format = options.format ?? formatOf(fileName);
  const raw =
    format === 'jsonl'
      ? readJsonl(fileName, text, options.columns, report)
      : readDelimited(fileName, text, options.delimiter ?? defaultDelimiter(format, text), options.columns, report);
  const labelSet = options.labelSet ?? inferLabelSet(raw);
  const rows: Row[] = [];
  for (const row of raw) {
    const label = resolveLabel(row.label, labelSet);
    if (label === null) {
      const choices = labelSet.map((name, id) => `${id} = ${name}`).join(', ');
      report(row.line, `field "${options.columns.label}" is ${quote(row.label)}, which is not one of the labels (${choices}); change it to a label name or number, or remove the row.`, options.columns.label, String(row.label));
    } else {
      rows.push({ text: row.text, label });
    }
  }
  problems.sort((a, b) => a.line - b.line);
  return { dataset: { name: fileName, rows, labelSet }, problems };
}

type Report = (line: number, message: string, field?: string, value?: string) => void;

function readDelimited(fileName: string, text: string, delimiter: Delimiter, columns: ColumnMapping, report: Report): RawRow[] {
  const [header, ...records] = parseDelimited(text, delimiter);
  if (!header) throw new InputError(`${fileName} is empty; it needs a header line naming the columns, then one row per line.`);
  if (header.problem) throw new InputError(`${fileName}, line ${header.line} (the header): ${header.problem}.`);
  const names = header.fields.map((f) => f.trim());
  const indexOf = (field: keyof ColumnMapping) => {
    const index = names.indexOf(columns[field]);
    if (index < 0) {
      throw new InputError(`${fileName} has no column ${quote(columns[field])} for the ${field}; its columns are ${names.map((n) => quote(n)).join(', ')}. Pick one of them.`);
    }
    return index;
  };
  const textIndex = indexOf('text');
  const labelIndex = indexOf('label');
  const rows: RawRow[] = [];
  for (const record of records) {
    if (record.problem) {
      report(record.line, `${record.problem}.`);
    } else if (record.fields.length !== names.length) {
      report(record.line, `the row has ${record.fields.length} fields but the header has ${names.length}; put double quotes around fields that contain a ${DELIMITER_NAMES[delimiter]}.`);
    } else {
      const row = { line: record.line, text: record.fields[textIndex], label: record.fields[labelIndex] };
      if (checkText(row.text, row.line, columns.text, report)) rows.push(row);
    }
  }
  return rows;
}

function readJsonl(fileName: string, text: string, columns: ColumnMapping, report: Report): RawRow[] {
  const rows: RawRow[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r\n|\r|\n/);
  for (const [i, content] of lines.entries()) {
    const line = i + 1;
    if (content.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (e) {
      report(line, `the line is not valid JSON (${(e as Error).message}); write one JSON object per line, e.g. {"${columns.text}": "…", "${columns.label}": 0}.`, undefined, content);
      continue;
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      report(line, `the line is ${quote(content)}, not a JSON object; write one object per line, e.g. {"${columns.text}": "…", "${columns.label}": 0}.`, undefined, content);
      continue;
    }
    const object = value as Record<string, unknown>;
    const keys = Object.keys(object).map((k) => quote(k)).join(', ') || 'none';
    const textValue = object[columns.text];
    const label = object[columns.label];
    if (textValue === undefined) {
      report(line, `the object has no field "${columns.text}" for the text (its fields: ${keys}); add it or change the column mapping.`, columns.text);
    } else if (typeof textValue !== 'string') {
      report(line, `field "${columns.text}" is ${quote(textValue)}, not a string; write the text in quotes.`, columns.text, JSON.stringify(textValue));
    } else if (label === undefined) {
      report(line, `the object has no field "${columns.label}" for the label (its fields: ${keys}); add it or change the column mapping.`, columns.label);
    } else if (typeof label !== 'string' && typeof label !== 'number') {
      report(line, `field "${columns.label}" is ${quote(label)}; a label must be a name (string) or a class number.`, columns.label, JSON.stringify(label));
    } else if (checkText(textValue, line, columns.text, report)) {
      rows.push({ line, text: textValue, label });
    }
  }
  if (rows.length === 0 && lines.every((l) => l.trim() === '')) {
    throw new InputError(`${fileName} is empty; it needs one JSON object per line, e.g. {"${columns.text}": "…", "${columns.label}": 0}.`);
  }
  return rows;
}

function checkText(text: string, line: number, field: string, report: Report): boolean {
  if (text.trim() !== '') return true;
  report(line, `field "${field}" is empty; give the row a text or remove it.`, field, text);
  return false;
}

function resolveLabel(value: string | number, labelSet: readonly string[]): number | null {
  const name = String(value).trim();
  const exact = labelSet.indexOf(name);
  if (exact >= 0) return exact;
  const folded = labelSet.findIndex((l) => l.toLowerCase() === name.toLowerCase());
  if (folded >= 0) return folded;
  const id = Number(name);
  return /^\d+$/.test(name) && id < labelSet.length ? id : null;
}

function inferLabelSet(rows: readonly RawRow[]): string[] {
  const names = [...new Set(rows.map((r) => String(r.label).trim()))].filter((n) => n !== '');
  return names.every((n) => /^\d+$/.test(n)) ? names.sort((a, b) => Number(a) - Number(b)) : names;
}
