/**
 * What an import does to the dataset: replace its rows, or append to them. Pure, so the store's
 * commit and its undo are plain state changes, and the rules are tested without a browser.
 */
import type { PromptTemplate } from '../abft/prompts';
import { quote, type Dataset } from '../data/dataset';
import type { ColumnMapping } from '../data/import';
import { plural } from '../data/plural';
import type { DataRow, DatasetInfo } from './data-store';

export type ImportMode = 'replace' | 'append';

/** The part of the data store an import changes (and its undo restores). */
export interface DatasetState {
  readonly info: DatasetInfo;
  readonly rows: readonly DataRow[];
  readonly template: PromptTemplate;
}

export interface ImportSource {
  readonly fileName: string;
  readonly mapping: ColumnMapping;
  /** 'file': the file's labels are classes of their own; 'template': they are the template's label words. */
  readonly classes: 'template' | 'file';
  readonly dataset: Dataset;
  /** Rows of the file left out for a problem. */
  readonly skipped: number;
}

/**
 * The label words after appending a file whose own labels are classes: the current words first
 * (the rows already there keep their ids), then the file's labels that are new. Also maps each of
 * the file's class ids to its id in that list.
 */
export function mergeLabels(current: readonly string[], file: readonly string[]): { labelWords: string[]; fileToMerged: number[] } {
  const labelWords = [...current];
  const fileToMerged = file.map((word) => {
    const at = labelWords.indexOf(word);
    return at >= 0 ? at : labelWords.push(word) - 1;
  });
  return { labelWords, fileToMerged };
}

/** One sentence of what importing will do, with the row counts, for the import step. */
export function importStatement(mode: ImportMode, incoming: number, currentRows: number, currentName: string): string {
  const rows = (n: number) => plural(n, 'row');
  return mode === 'append'
    ? `Adds ${rows(incoming)} to the ${rows(currentRows)} of “${currentName}”: ${rows(currentRows + incoming)} in all.`
    : `Replaces the ${rows(currentRows)} of “${currentName}” with ${rows(incoming)} from the file; Undo brings them back.`;
}

/**
 * The dataset after the import. `split` puts the new rows in the training pool or among the test
 * queries (appended rows are split on their own, so the rows already there keep their place).
 */
export function applyImport(current: DatasetState, source: ImportSource, mode: ImportMode, split: (rows: readonly { text: string; label: number }[]) => DataRow[]): DatasetState {
  const { fileName, mapping, classes, dataset, skipped } = source;
  const problems = skipped > 0 ? [`${plural(skipped, 'row')} of ${fileName} had problems and ${skipped === 1 ? 'was' : 'were'} left out.`] : [];
  if (mode === 'replace') {
    return {
      info: {
        name: fileName,
        source: { kind: 'file', fileName },
        description: `Imported from ${fileName} (text: ${quote(mapping.text)}, label: ${quote(mapping.label)}).`,
        classNames: dataset.labelSet,
        notes: problems,
      },
      rows: split(dataset.rows),
      template: classes === 'file' ? { ...current.template, labelWords: [...dataset.labelSet] } : current.template,
    };
  }
  const merged = classes === 'file' ? mergeLabels(current.template.labelWords, dataset.labelSet) : null;
  const incoming = merged ? dataset.rows.map((r) => ({ text: r.text, label: merged.fileToMerged[r.label] })) : dataset.rows;
  const info = current.info;
  const classNames = merged ? [...info.classNames, ...merged.labelWords.slice(info.classNames.length)] : info.classNames;
  return {
    info: { ...info, classNames, notes: [...info.notes, `${plural(incoming.length, 'row')} appended from ${fileName}.`, ...problems] },
    rows: [...current.rows, ...split(incoming)],
    template: merged ? { ...current.template, labelWords: merged.labelWords } : current.template,
  };
}
