/**
 * The rows and template of an `abft` run: a CSV/TSV/TXT/JSONL file through the importer (any problem
 * row stops the run, listed with file, line and field; classes taken from the file's labels are
 * printed with their counts, so a stray label is seen), one of the paper's datasets read from the
 * Hub's dataset viewer (rows it cannot use are skipped and counted, as they are the Hub's, not the
 * user's), or the synthetic sentiment data; then the seeded split into a training pool, test
 * queries and a demonstration pool (ABFT-SPEC.md §2). A classroom dataset (classroom/<family>)
 * comes split already: its pool trains and gives the demonstrations, its test rows are the queries.
 */
import { readFile, stat } from 'node:fs/promises';
import { checkRowsForTemplate, templateOf, type PromptTemplate } from '../abft/prompts';
import { CLASSROOM_PRESETS, classroomPresetData, isClassroomPresetId, type ClassroomPresetData } from '../data/classroom-presets';
import { InputError, quote, type Row } from '../data/dataset';
import { fetchDatasetRows, type RowsProgress } from '../data/dataset-viewer';
import { decodeText, type FileEncoding } from '../data/decode';
import { DELIMITER_NAMES, type Delimiter } from '../data/delimiter';
import { formatOf, importDataset } from '../data/import';
import { plural } from '../data/plural';
import { PRESETS, type DatasetPreset } from '../data/presets';
import { syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import { rng } from '../engine/random';
import { choice, numberOption, UsageError, type ParsedArgs } from './abft-args';

/** The paper's training pool size. */
const TRAINING_POOL = 1024;
/** Synthetic rows: a full training pool and as many again for queries and demonstrations. */
const SYNTHETIC_ROWS = 2 * TRAINING_POOL;
const SHOWN_PROBLEMS = 10;
const ENCODINGS: Readonly<Record<string, FileEncoding>> = { 'utf-8': 'utf-8', latin1: 'windows-1252' };
const DELIMITER_OPTIONS = Object.fromEntries(Object.entries(DELIMITER_NAMES).map(([d, name]) => [name, d])) as Readonly<Record<string, Delimiter>>;

const SPLIT_RULE = 'seeded shuffle; training pool = first min(1024, n/2) rows; of the rest, queries = first min(--queries, half), demonstration pool = the others';
const CLASSROOM_SPLIT_RULE = "the classroom dataset's own: training pool = its pool rows, also the demonstration pool; queries = the first --queries of its test rows (none of whose texts is in the pool, but in word-alone)";

export interface RunData {
  /** The file path, a preset id, a classroom dataset id, or "synthetic". */
  readonly source: string;
  readonly template: PromptTemplate;
  readonly rows: number;
  readonly trainingPool: readonly Row[];
  readonly queries: readonly Row[];
  readonly demoPool: readonly Row[];
  /** How the rows were split, as report.json states it. */
  readonly splitRule: string;
}

/** Prints a preset's progress to `log` at each tenth of a split, not at each of its hundreds of pages. */
function progressLine(preset: DatasetPreset, log: (line: string) => void): (p: RowsProgress) => void {
  let shown = '';
  return ({ split, loaded, total }) => {
    const step = `${split}/${total === 0 ? 10 : Math.floor((10 * loaded) / total)}`;
    if (step === shown) return;
    shown = step;
    log(`abft: ${preset.id}: read ${loaded} of ${total} rows of ${preset.hub.dataset} (${preset.hub.config}, ${split})`);
  };
}

async function readPreset(args: ParsedArgs, preset: DatasetPreset, labels: string[] | undefined, log: (line: string) => void) {
  for (const name of ['text-column', 'label-column', 'encoding', 'delimiter']) {
    if (args.values.has(name)) throw new UsageError(`--${name} is for data files; --data ${preset.id} reads columns ${preset.hub.textColumn} and ${preset.hub.labelColumn}`);
  }
  const dataset = await fetchDatasetRows(preset, { endpoint: args.values.get('hub-datasets'), onProgress: progressLine(preset, log) });
  if (dataset.skipped.length > 0) {
    const shown = dataset.skipped.slice(0, 3).map((s) => `${s.split} row ${s.rowIndex}: ${s.reason}`);
    log(`abft: ${preset.id}: skipped ${dataset.skipped.length} of ${dataset.skipped.length + dataset.rows.length} rows (${shown.join('; ')}${dataset.skipped.length > shown.length ? '; …' : ''})`);
  }
  return { rows: dataset.rows, labelWords: labels ?? preset.labelWords };
}

/** "positive (24 rows), negative (23 rows), pos (1 row)": each class with its rows, for a stray label to stand out. */
function classCounts(rows: readonly Row[], labelSet: readonly string[]): string {
  const counts = labelSet.map(() => 0);
  for (const row of rows) counts[row.label]++;
  return labelSet.map((name, id) => `${quote(name)} (${plural(counts[id], 'row')})`).join(', ');
}

async function readRows(args: ParsedArgs, path: string, labels: string[] | undefined, log: (line: string) => void): Promise<{ rows: readonly Row[]; labelWords: readonly string[] }> {
  const encoding = ENCODINGS[choice(args, 'encoding', Object.keys(ENCODINGS)) ?? 'utf-8'];
  const delimiter = choice(args, 'delimiter', Object.keys(DELIMITER_OPTIONS));
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'does not exist' : code === 'EISDIR' ? 'is a folder' : `cannot be read (${code})`;
    throw new UsageError(`data file ${path} ${why}; pass a .csv, .tsv, .txt or .jsonl file, or synthetic`);
  }
  if (delimiter !== undefined && formatOf(path) === 'jsonl') throw new UsageError(`--delimiter is for .csv, .tsv and .txt files, not the JSON lines of ${path}`);
  const { text } = decodeText(path, bytes, encoding, 'pass --encoding latin1');
  const columns = { text: args.values.get('text-column') ?? 'text', label: args.values.get('label-column') ?? 'label' };
  const { dataset, problems } = importDataset(path, text, { columns, labelSet: labels, delimiter: delimiter === undefined ? undefined : DELIMITER_OPTIONS[delimiter] });
  if (problems.length > 0) {
    const more = problems.length > SHOWN_PROBLEMS ? `\n… and ${problems.length - SHOWN_PROBLEMS} more` : '';
    throw new InputError(`${plural(problems.length, 'row')} of ${path} cannot be used:\n${problems.slice(0, SHOWN_PROBLEMS).map((p) => p.message).join('\n')}${more}`);
  }
  if (!labels) {
    log(`abft: ${path}: ${plural(dataset.rows.length, 'row')}; the classes are its labels: ${classCounts(dataset.rows, dataset.labelSet)}. --labels W1,W2,... names the classes and makes any other label an error.`);
  }
  return { rows: dataset.rows, labelWords: labels ?? dataset.labelSet };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  const random = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

const CLASSROOM_NAMES = CLASSROOM_PRESETS.map((p) => p.id).join(', ');

/** A classroom dataset's rows, or a usage error naming them all for a classroom/... that is neither one nor a file. */
async function classroomData(args: ParsedArgs, source: string): Promise<ClassroomPresetData | null> {
  if (isClassroomPresetId(source)) {
    for (const name of ['text-column', 'label-column', 'encoding', 'delimiter']) {
      if (args.values.has(name)) throw new UsageError(`--${name} is for data files; --data ${source} is built in`);
    }
    return classroomPresetData(source);
  }
  if (source.startsWith('classroom/') && !(await stat(source).catch(() => null))) {
    throw new UsageError(`--data ${source} is neither a classroom dataset nor a file; the classroom datasets are ${CLASSROOM_NAMES}`);
  }
  return null;
}

/** `log` gets progress lines (reading a preset from the Hub); errors are thrown, not logged. */
export async function loadRunData(args: ParsedArgs, log: (line: string) => void = () => {}): Promise<RunData> {
  const source = args.values.get('data')!;
  const labelsText = args.values.get('labels');
  const labels = labelsText?.split(',').map((w) => w.trim());
  const seed = numberOption(args, 'seed', 0, 'int');
  const wanted = numberOption(args, 'queries', 512, 'count');
  const preset = PRESETS.find((p) => p.id === source);
  if (args.values.has('hub-datasets') && !preset) throw new UsageError(`--hub-datasets is for --data with a preset (${PRESETS.map((p) => p.id).join(', ')}), not ${source}`);
  const classroom = await classroomData(args, source);
  if (classroom) {
    if (labels && labels.length !== classroom.template.labelWords.length) {
      throw new UsageError(`--labels gives ${labels.length} words; ${source} has ${classroom.template.labelWords.length} classes (${classroom.classNames.join(', ')})`);
    }
    const template: PromptTemplate = {
      ...classroom.template,
      inputPrefix: args.values.get('input-prefix') ?? classroom.template.inputPrefix,
      labelPrefix: args.values.get('label-prefix') ?? classroom.template.labelPrefix,
      labelWords: labels ?? classroom.template.labelWords,
    };
    checkRowsForTemplate([...classroom.pool, ...classroom.testRows], template, source);
    return {
      source,
      template,
      rows: classroom.pool.length + classroom.testRows.length,
      trainingPool: classroom.pool,
      queries: classroom.testRows.slice(0, wanted),
      demoPool: classroom.pool,
      splitRule: CLASSROOM_SPLIT_RULE,
    };
  }
  let rows: readonly Row[];
  let labelWords: readonly string[];
  if (preset) {
    ({ rows, labelWords } = await readPreset(args, preset, labels, log));
  } else if (source === 'synthetic') {
    const classes = labels?.length ?? 2;
    if (classes !== 2 && classes !== 3) throw new UsageError(`--labels gives ${classes} words; the synthetic data has 2 classes (negative, positive) or 3 (adds neutral)`);
    rows = syntheticSentiment({ size: SYNTHETIC_ROWS, seed, classes }).rows;
    labelWords = labels ?? syntheticPrompt(classes).labelWords;
  } else {
    ({ rows, labelWords } = await readRows(args, source, labels, log));
  }
  const template = templateOf({
    inputPrefix: args.values.get('input-prefix') ?? preset?.inputPrefix ?? 'review: ',
    labelPrefix: args.values.get('label-prefix') ?? preset?.labelPrefix ?? 'sentiment: ',
    labelWords,
  });
  checkRowsForTemplate(rows, template, source);
  const all = shuffled(rows, seed);
  const poolSize = Math.min(TRAINING_POOL, Math.floor(all.length / 2));
  const rest = all.slice(poolSize);
  const queryCount = Math.min(wanted, Math.floor(rest.length / 2));
  return { source, template, rows: all.length, trainingPool: all.slice(0, poolSize), queries: rest.slice(0, queryCount), demoPool: rest.slice(queryCount), splitRule: SPLIT_RULE };
}

/** The split as report.json states it. */
export function describeSplit(data: RunData): Record<string, number | string> {
  return {
    rows: data.rows,
    trainingPool: data.trainingPool.length,
    queries: data.queries.length,
    demoPool: data.demoPool.length,
    rule: data.splitRule,
  };
}
