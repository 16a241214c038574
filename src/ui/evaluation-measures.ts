/** The suite's measures in words, for the settings, the evaluation table and the progress lines. */
import type { SuiteMeasure, SuiteReport } from '../abft/suite';
import { plural } from '../data/plural';

export const MEASURE_LABELS: Readonly<Record<SuiteMeasure, string>> = {
  test: 'Accuracy and macro-F1',
  demonstrationConsistency: 'Consistency across demonstration sets',
  templateConsistency: 'Consistency across templates',
  unseenLabel: 'Unseen-label accuracy',
};

/** A row of the evaluation table: its name, the measure it comes from, and its value and count in a report. */
export interface MeasureRow {
  readonly key: string;
  readonly name: string;
  readonly measure: SuiteMeasure;
  /** [value in [0, 1], what it was measured on]; null when the report did not run the measure. */
  readonly cell: (report: SuiteReport) => readonly [number, string] | null;
}

const prompts = (n: number) => plural(n, 'prompt');
const groups = (queries: number, variants: number, noun: string) => `${plural(queries, 'query', 'queries')} × ${plural(variants, noun)}`;

export const MEASURE_ROWS: readonly MeasureRow[] = [
  { key: 'accuracy', name: 'accuracy', measure: 'test', cell: (r) => r.test && [r.test.accuracy, prompts(r.test.count)] },
  { key: 'macro-f1', name: 'macro-F1', measure: 'test', cell: (r) => r.test && [r.test.macroF1, prompts(r.test.count)] },
  {
    key: 'demonstration-consistency',
    name: 'consistency across demonstration sets',
    measure: 'demonstrationConsistency',
    cell: ({ demonstrationConsistency: c }) => c && [c.consistency, groups(c.queries, c.variantsPerQuery, 'set')],
  },
  {
    key: 'template-consistency',
    name: 'consistency across templates',
    measure: 'templateConsistency',
    cell: ({ templateConsistency: c }) => c && [c.consistency, groups(c.queries, c.variantsPerQuery, 'template')],
  },
  { key: 'unseen-label', name: 'unseen-label accuracy', measure: 'unseenLabel', cell: (r) => r.unseenLabel && [r.unseenLabel.accuracy, prompts(r.unseenLabel.count)] },
];

export const percent = (v: number) => `${(v * 100).toFixed(1)}%`;
