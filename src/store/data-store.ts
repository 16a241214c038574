/**
 * The dataset the user works on: rows (each in the training pool or among the test queries), the
 * class names, the prompt template, k and how the label words are scored. Persisted in IndexedDB, so nothing typed or imported is
 * lost on reload. The built-in synthetic data is the default, so the app works offline; the
 * built-in classroom datasets come with their own split into training pool and test queries.
 */
import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { DEFAULT_LABEL_SCORING, isLabelScoring, type LabelScoring } from '../abft/label-scoring';
import { templateOf, type PromptTemplate } from '../abft/prompts';
import { rowProblem, type Row } from '../data/dataset';
import { browserRowsCache, fetchDatasetRows, type RowsCache, type RowsProgress } from '../data/dataset-viewer';
import { CLASSROOM_NOTE, classroomPresetData, type ClassroomPresetId } from '../data/classroom-presets';
import type { FileEncoding } from '../data/decode';
import type { Delimiter } from '../data/delimiter';
import type { ColumnMapping } from '../data/import';
import { unreadFile, type ImportReading } from '../data/import-reading';
import { readImportOffThread } from '../data/import-worker-client';
import { plural } from '../data/plural';
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

export type DataSource =
  | { readonly kind: 'synthetic' }
  | { readonly kind: 'preset'; readonly id: PresetId }
  | { readonly kind: 'classroom'; readonly id: ClassroomPresetId }
  | { readonly kind: 'file'; readonly fileName: string };

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

/** A file being imported: how the user chose to read it, and what reading it so gives. */
export interface ImportDraft {
  readonly fileName: string;
  /** The file as picked or dropped; every change of how to read it reads it again, off the main thread. */
  readonly file: Blob;
  readonly encoding: FileEncoding;
  /** Null: the file's own (a tab for TSV, told from the first records for CSV). */
  readonly delimiter: Delimiter | null;
  /** Null: guessed from the column names. */
  readonly mapping: ColumnMapping | null;
  /** 'template': labels must be the template's label words (or class ids); 'file': the file's labels become the classes. */
  readonly classes: 'template' | 'file';
  /** Whether the good rows replace the current ones or are added to them. */
  readonly mode: ImportMode;
  /** The file as last read; null until the first read ends. */
  readonly reading: ImportReading | null;
  /** A read with the current choices is under way: `reading` is of the previous ones. */
  readonly pending: boolean;
}

/** What the user may change about how an import reads its file, and what it does with the rows. */
export type ImportChoices = Partial<Pick<ImportDraft, 'encoding' | 'delimiter' | 'mapping' | 'classes' | 'mode'>>;

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
  /** A classroom dataset (e.g. "classroom/word-last"), its pool as the training rows and its test rows as the test queries. */
  loadClassroom(id: ClassroomPresetId): void;
  loadPreset(id: PresetId, maxRows: number): Promise<void>;
  cancelPresetLoad(): void;
  clearPresetLoad(): void;
  /** Opens the mapping step for `file`; resolves once it has been read. */
  openImport(file: Blob, fileName: string): Promise<void>;
  /** A new encoding or delimiter also guesses the mapping again, as the columns may change with it. */
  setImportMapping(patch: ImportChoices): Promise<void>;
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
    return `Row ${index + 1}: the text is ${plural(row.text.length, 'character')}, more than ${MAX_TEXT_CHARS.toLocaleString('en')}; the paper leaves such rows out, as k of them may not fit the model's context. Shorten it or remove the row.`;
  }
  return null;
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

/** A built-in classroom dataset, split as it comes: its test rows are the test queries whatever the seed. */
function classroomData(id: ClassroomPresetId): Omit<PersistedData, 'version' | 'labelScoring' | 'k' | 'seed'> {
  const data = classroomPresetData(id);
  const row = (test: boolean) => (r: Row): DataRow => ({ text: r.text, label: r.label, test });
  return {
    info: { name: `Classroom: ${data.preset.name}`, source: { kind: 'classroom', id }, description: `${data.preset.description} ${CLASSROOM_NOTE}`, classNames: data.classNames, notes: [] },
    rows: [...data.pool.map(row(false)), ...data.testRows.map(row(true))],
    template: data.template,
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
/** Counts the reads of import drafts: only the latest one's answer is shown. */
let reads = 0;

export const useDataStore = create<DataStore>()(
  persist(
    (set, get) => {
      /**
       * Every change to what would be trained on goes through here, so `version` tells the data
       * apart; any change but an import's own ends its undo, which would otherwise revert the change too.
       */
      const change = (patch: Partial<PersistedData>, lastImport: LastImport | null = null) => set((s) => ({ ...patch, lastImport, version: s.version + 1 }));
      /** Reads the draft's file as it now says, and shows the answer unless a newer read or draft came meanwhile. */
      const readDraft = async (draft: ImportDraft) => {
        const read = ++reads;
        set({ importDraft: { ...draft, pending: true } });
        const labelSet = draft.classes === 'template' ? get().template.labelWords : undefined;
        let reading: ImportReading;
        try {
          reading = await readImportOffThread(draft.file, draft.fileName, { encoding: draft.encoding, delimiter: draft.delimiter, mapping: draft.mapping, labelSet });
        } catch (error) {
          reading = unreadFile((error as Error).message);
        }
        // The draft as it is now: choosing append or replace meanwhile does not read the file again.
        const current = get().importDraft;
        if (read === reads && current?.file === draft.file) set({ importDraft: { ...current, reading, pending: false } });
      };
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
        loadClassroom: (id) => change(classroomData(id)),

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
                `${plural(loaded.skipped.length, 'row')} skipped: ${loaded.skipped.slice(0, 3).map((s) => `${s.split} row ${s.rowIndex} (${s.reason})`).join('; ')}${loaded.skipped.length > 3 ? '; …' : '.'}`,
              rows.length < loaded.rows.length && `${plural(loaded.rows.length - rows.length, 'row')} longer than ${MAX_TEXT_CHARS} characters left out, as the paper does.`,
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

        openImport(file, fileName) {
          // Built-in data is replaced; data of the user's own is added to, unless they choose otherwise.
          const kind = get().info.source.kind;
          const mode = kind === 'synthetic' || kind === 'classroom' ? 'replace' : 'append';
          return readDraft({ fileName, file, encoding: 'utf-8', delimiter: null, mapping: null, classes: 'template', mode, reading: null, pending: true });
        },

        async setImportMapping(patch) {
          const draft = get().importDraft;
          if (!draft) return;
          const rereads = patch.encoding !== undefined || patch.delimiter !== undefined;
          const next = { ...draft, ...patch, mapping: patch.mapping ?? (rereads ? null : draft.mapping) };
          if (Object.keys(patch).every((key) => key === 'mode')) set({ importDraft: next });
          else await readDraft(next);
        },

        commitImport() {
          const draft = get().importDraft;
          const reading = draft?.reading;
          const dataset = reading?.result?.dataset;
          if (!draft || draft.pending || !reading || !dataset || dataset.rows.length === 0) return;
          const { info, rows, template, seed } = get();
          const before: DatasetState = { info, rows, template };
          const source = { fileName: draft.fileName, mapping: reading.mapping, classes: draft.classes, dataset, skipped: reading.result!.problems.length };
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
