/**
 * The dataset the user works on: rows (each in the training pool or among the test queries), the
 * class names, the prompt template, k and how the label words are scored. Persisted in IndexedDB, so nothing typed or imported is
 * lost on reload. The built-in synthetic data is the default, so the app works offline.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_LABEL_SCORING, isLabelScoring, type LabelScoring } from '../abft/label-scoring';
import { templateOf, type PromptTemplate } from '../abft/prompts';
import { parseDelimited } from '../data/csv';
import { rowProblem, type Row } from '../data/dataset';
import { browserRowsCache, fetchDatasetRows, type RowsCache, type RowsProgress } from '../data/dataset-viewer';
import { formatOf, importDataset, type ColumnMapping, type ImportFormat, type ImportResult } from '../data/import';
import { MAX_TEXT_CHARS, presetById, type PresetId } from '../data/presets';
import { SYNTHETIC_NOTE, syntheticPrompt, syntheticSentiment } from '../data/synthetic';
import { rng } from '../engine/random';
import type { EvaluationSet, TrainingData } from '../train/protocol';
import { idbStorage, type SaveStatus } from './idb-storage';
import { applyImport, type DatasetState, type ImportMode } from './import-apply';

export interface DataRow extends Row {
  /** A test query; otherwise the row is in the training pool (demonstrations and training queries). */
  readonly test: boolean;
}

export type DataSource = { readonly kind: 'synthetic' } | { readonly kind: 'preset'; readonly id: PresetId } | { readonly kind: 'file'; readonly fileName: string };

export interface DatasetInfo {
  readonly name: string;
  readonly source: DataSource;
  readonly description: string;
  /** Class names, index = class id (the template's label words may word them differently). */
  readonly classNames: readonly string[];
  /** What happened on loading: rows skipped and why. */
  readonly notes: readonly string[];
}

export type PresetLoad =
  | { readonly state: 'idle' }
  | { readonly state: 'loading'; readonly id: PresetId; readonly progress: RowsProgress | null }
  | { readonly state: 'ended'; readonly id: PresetId; readonly message: string; readonly cancelled: boolean };

/** A file being imported: its columns, the mapping chosen, and what importing with it would give. */
export interface ImportDraft {
  readonly fileName: string;
  readonly text: string;
  readonly format: ImportFormat;
  readonly columns: readonly string[];
  readonly mapping: ColumnMapping;
  /** 'template': labels must be the template's label words (or class ids); 'file': the file's labels become the classes. */
  readonly classes: 'template' | 'file';
  /** Whether the good rows replace the current ones or are added to them. */
  readonly mode: ImportMode;
  readonly result: ImportResult | null;
  /** Why nothing can be imported with this mapping. */
  readonly error: string | null;
}

interface PersistedData {
  readonly info: DatasetInfo;
  readonly rows: readonly DataRow[];
  readonly template: PromptTemplate;
  readonly k: number;
  readonly seed: number;
  /**
   * How a label word is scored as the query's answer (abft/label-scoring.ts); with k, a value the
   * preview, training (the end-to-end target) and the accuracy measures all use.
   */
  readonly labelScoring: LabelScoring;
  readonly version: number;
}

/** The last import, undoable until the data changes otherwise. */
export interface LastImport {
  readonly fileName: string;
  readonly mode: ImportMode;
  readonly added: number;
  /** The rows, classes and template as they were before it. */
  readonly before: DatasetState;
}

/** What is saved in IndexedDB: the data, and the last import so that its undo survives a reload. */
interface StoredData extends PersistedData {
  readonly lastImport: LastImport | null;
}

interface DataStore extends StoredData {
  readonly presetLoad: PresetLoad;
  readonly importDraft: ImportDraft | null;
  readonly saveStatus: SaveStatus;
  loadSynthetic(): void;
  loadPreset(id: PresetId, maxRows: number): Promise<void>;
  cancelPresetLoad(): void;
  clearPresetLoad(): void;
  openImport(fileName: string, text: string): void;
  setImportMapping(patch: Partial<Pick<ImportDraft, 'mapping' | 'classes' | 'mode'>>): void;
  commitImport(): void;
  cancelImport(): void;
  /** Puts back the rows, classes and template the last import replaced or added to. */
  undoImport(): void;
  updateRow(index: number, patch: Partial<DataRow>): void;
  deleteRow(index: number): void;
  addRow(row: DataRow): void;
  /** Puts `trainCount` rows, drawn with `seed`, in the training pool and the rest among the test queries. */
  split(trainCount: number, seed: number): void;
  setTemplate(patch: Partial<Omit<PromptTemplate, 'labelWords'>>): void;
  setLabelWord(classId: number, word: string): void;
  addClass(): void;
  /** Removes the last class; rows that have it are then flagged. */
  removeClass(): void;
  setK(k: number): void;
  setLabelScoring(labelScoring: LabelScoring): void;
  /** The training pool and template, as the Train panel sends them to the worker. */
  trainingData(): TrainingData;
  /** The test queries, each with `setsPerQuery` demonstration sets drawn from the training pool. */
  evaluationSet(opts: { readonly seed: number; readonly setsPerQuery: number }): EvaluationSet;
}

const SYNTHETIC_ROWS = 256;
/** The paper's training pool size (ABFT-SPEC.md §2); larger datasets keep the rest as test queries. */
const PAPER_POOL = 1024;
export const DEFAULT_K = 4;
const DATASETS_CACHE = 'abft-studio-datasets';

/** A quarter of the rows as test queries, the training pool at most the paper's 1024 rows. */
export function defaultTrainCount(rows: number): number {
  return Math.min(PAPER_POOL, Math.ceil(rows * 0.75));
}

/** `rows` with `trainCount` of them, drawn by a seeded shuffle, in the training pool. */
export function splitRows(rows: readonly Row[], trainCount: number, seed: number): DataRow[] {
  const order = rows.map((_, i) => i);
  const random = rng(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const train = new Set(order.slice(0, Math.max(0, Math.min(trainCount, rows.length))));
  return rows.map((row, i) => ({ text: row.text, label: row.label, test: !train.has(i) }));
}

/** What is wrong with row `index` under a template of `labelCount` classes, for the table's flag, or null. */
export function rowFlag(row: Row, labelCount: number, index: number): string | null {
  const problem = rowProblem(row, labelCount, `Row ${index + 1}`);
  if (problem) return problem;
  if (row.text.length > MAX_TEXT_CHARS) {
    return `Row ${index + 1}: the text is ${row.text.length} characters, more than ${MAX_TEXT_CHARS}; the paper leaves such rows out, as k of them may not fit the model's context. Shorten it or remove the row.`;
  }
  return null;
}

/** The names a file offers for the mapping: a CSV/TSV header, or the keys of a JSONL file's first object. */
export function columnsOf(text: string, format: ImportFormat): string[] {
  if (format !== 'jsonl') return (parseDelimited(text, format === 'csv' ? ',' : '\t')[0]?.fields ?? []).map((f) => f.trim());
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

/** The draft with the result of importing it as mapped; an unusable file or mapping becomes its error. */
export function evaluateDraft(draft: ImportDraft, template: PromptTemplate): ImportDraft {
  try {
    const labelSet = draft.classes === 'template' ? template.labelWords : undefined;
    return { ...draft, result: importDataset(draft.fileName, draft.text, { columns: draft.mapping, format: draft.format, labelSet }), error: null };
  } catch (error) {
    return { ...draft, result: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** `?datasets=<url>` points the app at another dataset viewer (a mirror, or the tests' fake one). */
function datasetsEndpoint(): string | undefined {
  return new URLSearchParams(globalThis.location?.search ?? '').get('datasets') ?? undefined;
}

function rowsCache(): RowsCache | undefined {
  try {
    return browserRowsCache(DATASETS_CACHE);
  } catch {
    // Without Cache Storage (an insecure origin) datasets still load, only not offline.
    return undefined;
  }
}

/** The built-in data; the label scoring is the user's choice and stays. */
function syntheticData(): Omit<PersistedData, 'version' | 'labelScoring'> {
  const rows = syntheticSentiment({ size: SYNTHETIC_ROWS, seed: 1 }).rows;
  return {
    info: { name: 'Synthetic sentiment', source: { kind: 'synthetic' }, description: SYNTHETIC_NOTE, classNames: ['negative', 'positive'], notes: [] },
    rows: splitRows(rows, defaultTrainCount(rows.length), 1),
    template: templateOf(syntheticPrompt(2)),
    k: DEFAULT_K,
    seed: 1,
  };
}

/**
 * The saved data over the defaults; data saved before the label scoring was a choice scored
 * single-token label words only, which 'sequence' (the default) scores alike.
 */
export function mergeSaved<T extends Partial<StoredData>>(saved: unknown, current: T): T {
  const stored = (saved ?? {}) as Partial<StoredData>;
  return { ...current, ...stored, labelScoring: isLabelScoring(stored.labelScoring) ? stored.labelScoring : DEFAULT_LABEL_SCORING };
}

let abort: AbortController | null = null;

export const useDataStore = create<DataStore>()(
  persist(
    (set, get) => {
      /**
       * Every change to what would be trained on goes through here, so `version` tells the data
       * apart; any change but an import's own ends its undo, which would otherwise revert the change too.
       */
      const change = (patch: Partial<PersistedData>, lastImport: LastImport | null = null) => set((s) => ({ ...patch, lastImport, version: s.version + 1 }));
      const mapRows = (f: (rows: DataRow[]) => void) => {
        const rows = [...get().rows];
        f(rows);
        change({ rows });
      };

      return {
        ...syntheticData(),
        labelScoring: DEFAULT_LABEL_SCORING,
        version: 0,
        presetLoad: { state: 'idle' },
        importDraft: null,
        lastImport: null,
        saveStatus: { state: 'saved' },

        loadSynthetic: () => change(syntheticData()),

        async loadPreset(id, maxRows) {
          abort?.abort();
          const controller = new AbortController();
          abort = controller;
          const preset = presetById(id);
          set({ presetLoad: { state: 'loading', id, progress: null } });
          try {
            const loaded = await fetchDatasetRows(preset, {
              endpoint: datasetsEndpoint(),
              cache: rowsCache(),
              maxRows,
              signal: controller.signal,
              onProgress: (progress) => set({ presetLoad: { state: 'loading', id, progress } }),
            });
            const rows = loaded.rows.filter((r) => r.text.length <= MAX_TEXT_CHARS);
            const notes = [
              loaded.skipped.length > 0 &&
                `${loaded.skipped.length} rows skipped: ${loaded.skipped.slice(0, 3).map((s) => `${s.split} row ${s.rowIndex} (${s.reason})`).join('; ')}${loaded.skipped.length > 3 ? '; …' : '.'}`,
              rows.length < loaded.rows.length && `${loaded.rows.length - rows.length} rows longer than ${MAX_TEXT_CHARS} characters left out, as the paper does.`,
            ].filter((n): n is string => typeof n === 'string');
            change({
              info: { name: preset.name, source: { kind: 'preset', id }, description: preset.description, classNames: preset.classNames, notes },
              rows: splitRows(rows, defaultTrainCount(rows.length), get().seed),
              template: templateOf(preset),
            });
            set({ presetLoad: { state: 'idle' } });
          } catch (error) {
            set({ presetLoad: { state: 'ended', id, message: error instanceof Error ? error.message : String(error), cancelled: controller.signal.aborted } });
          } finally {
            if (abort === controller) abort = null;
          }
        },

        cancelPresetLoad: () => abort?.abort(),
        clearPresetLoad: () => set({ presetLoad: { state: 'idle' } }),

        openImport(fileName, text) {
          let format: ImportFormat;
          try {
            format = formatOf(fileName);
          } catch (error) {
            const draft = { fileName, text, format: 'csv', columns: [], mapping: { text: '', label: '' }, classes: 'template', mode: 'replace', result: null } as const;
            set({ importDraft: { ...draft, error: (error as Error).message } });
            return;
          }
          const columns = columnsOf(text, format);
          // The built-in sample data is replaced; data of the user's own is added to, unless they choose otherwise.
          const mode = get().info.source.kind === 'synthetic' ? 'replace' : 'append';
          const draft: ImportDraft = { fileName, text, format, columns, mapping: guessMapping(columns), classes: 'template', mode, result: null, error: null };
          set({ importDraft: evaluateDraft(draft, get().template) });
        },

        setImportMapping(patch) {
          const draft = get().importDraft;
          if (draft) set({ importDraft: evaluateDraft({ ...draft, ...patch }, get().template) });
        },

        commitImport() {
          const draft = get().importDraft;
          const dataset = draft?.result?.dataset;
          if (!draft || !dataset || dataset.rows.length === 0) return;
          const { info, rows, template, seed } = get();
          const before: DatasetState = { info, rows, template };
          const source = { fileName: draft.fileName, mapping: draft.mapping, classes: draft.classes, dataset, skipped: draft.result!.problems.length };
          const after = applyImport(before, source, draft.mode, (incoming) => splitRows(incoming, defaultTrainCount(incoming.length), seed));
          change(after, { fileName: draft.fileName, mode: draft.mode, added: dataset.rows.length, before });
          set({ importDraft: null });
        },

        cancelImport: () => set({ importDraft: null }),

        undoImport() {
          const last = get().lastImport;
          if (last) change(last.before);
        },

        updateRow: (index, patch) =>
          mapRows((rows) => {
            rows[index] = { ...rows[index], ...patch };
          }),
        deleteRow: (index) => mapRows((rows) => void rows.splice(index, 1)),
        addRow: (row) => mapRows((rows) => void rows.push(row)),

        split: (trainCount, seed) => change({ rows: splitRows(get().rows, trainCount, seed), seed }),

        setTemplate: (patch) => change({ template: { ...get().template, ...patch } }),
        setLabelWord(classId, word) {
          const labelWords = [...get().template.labelWords];
          labelWords[classId] = word;
          change({ template: { ...get().template, labelWords } });
        },
        addClass() {
          const { template, info } = get();
          const id = template.labelWords.length;
          change({ template: { ...template, labelWords: [...template.labelWords, `class${id}`] }, info: { ...info, classNames: [...info.classNames, `class ${id}`] } });
        },
        removeClass() {
          const { template, info } = get();
          if (template.labelWords.length <= 2) return;
          change({ template: { ...template, labelWords: template.labelWords.slice(0, -1) }, info: { ...info, classNames: info.classNames.slice(0, template.labelWords.length - 1) } });
        },
        setK: (k) => change({ k }),
        setLabelScoring: (labelScoring) => change({ labelScoring }),

        trainingData() {
          const { rows, template } = get();
          return { kind: 'rows', rows: rows.filter((r) => !r.test).map(({ text, label }) => ({ text, label })), template };
        },

        evaluationSet({ seed, setsPerQuery }) {
          const { rows, template, k, labelScoring } = get();
          const strip = ({ text, label }: Row) => ({ text, label });
          return {
            kind: 'rows',
            queries: rows.filter((r) => r.test).map(strip),
            demonstrations: rows.filter((r) => !r.test).map(strip),
            template,
            setsPerQuery,
            k,
            seed,
            labelScoring,
          };
        },
      };
    },
    {
      name: 'abft-studio-data',
      version: 1,
      storage: idbStorage<StoredData>({ database: 'abft-studio', onStatus: (saveStatus) => useDataStore.setState({ saveStatus }) }),
      partialize: ({ info, rows, template, k, seed, labelScoring, version, lastImport }) => ({ info, rows, template, k, seed, labelScoring, version, lastImport }),
      merge: (saved, current) => mergeSaved(saved, current),
    },
  ),
);
