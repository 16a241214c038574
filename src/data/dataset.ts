import { plural } from './plural';

/**
 * A labelled classification dataset as every part of the project sees it: rows of text with a class
 * id, and the names of the classes. Class ids index the label set, and a prompt template's label
 * words use the same indices, so a dataset can be shown with any wording of its labels.
 */

export interface Row {
  readonly text: string;
  /** Class id: an index into the dataset's `labelSet` (and a template's `labelWords`). */
  readonly label: number;
}

export interface Dataset {
  readonly name: string;
  readonly rows: readonly Row[];
  /** Class names, index = class id (e.g. the Hub's ClassLabel names); not necessarily the prompt's label words. */
  readonly labelSet: readonly string[];
}

/** Bad data or settings from the user (a row, a template, a prompt too long): the message says what to fix. */
export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

/** A value as a message shows it: a string in quotes (cut at `max` characters), anything else as JSON. */
export function quote(value: unknown, max = 60): string {
  if (typeof value !== 'string') return JSON.stringify(value) ?? String(value);
  return JSON.stringify(value.length > max ? `${value.slice(0, max)}…` : value);
}

/**
 * What is wrong with `row` for a dataset of `labelCount` classes (any number when null), or null.
 * `where` names the row ("training pool row 12") so the message can be shown as it is.
 */
export function rowProblem(row: Row, labelCount: number | null, where: string): string | null {
  if (typeof row.text !== 'string' || row.text.trim() === '') {
    const state = typeof row.text === 'string' ? `empty (${quote(row.text)})` : row.text === undefined ? 'missing' : `${quote(row.text)}, not a string`;
    return `${where}: field "text" is ${state}; give the row a text or remove it.`;
  }
  const isId = Number.isInteger(row.label) && row.label >= 0;
  if (!isId || (labelCount !== null && row.label >= labelCount)) {
    const range = labelCount === null ? 'a whole number from 0' : `from 0 to ${labelCount - 1}`;
    return `${where}: field "label" is ${quote(row.label)}, not a class id (${range}); fix the label or remove the row.`;
  }
  return null;
}

/** Throws an InputError listing the first problems of `rows` (each named `${name} row ${index}`). */
export function checkRows(rows: readonly Row[], labelCount: number | null, name: string): void {
  const problems: string[] = [];
  for (const [i, row] of rows.entries()) {
    const problem = rowProblem(row, labelCount, `${name} row ${i}`);
    if (problem) problems.push(problem);
  }
  if (problems.length === 0) return;
  const shown = problems.slice(0, 5);
  const more = problems.length > shown.length ? `\n… and ${plural(problems.length - shown.length, 'more row', 'more rows')} with problems.` : '';
  throw new InputError(`${problems.length} of ${plural(rows.length, 'row')} of ${name} cannot be used:\n${shown.join('\n')}${more}`);
}
