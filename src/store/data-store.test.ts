import { beforeEach, describe, expect, it } from 'vitest';
import { columnsOf, defaultTrainCount, evaluateDraft, guessMapping, mergeSaved, rowFlag, splitRows, useDataStore, type ImportDraft } from './data-store';

const rows = Array.from({ length: 20 }, (_, i) => ({ text: `row ${i}`, label: i % 2 }));

describe('splitRows', () => {
  it('puts exactly N rows in the training pool, the same ones for the same seed', () => {
    const a = splitRows(rows, 15, 7);
    expect(a.filter((r) => !r.test)).toHaveLength(15);
    expect(splitRows(rows, 15, 7)).toEqual(a);
    expect(splitRows(rows, 15, 8)).not.toEqual(a);
    expect(a.map(({ text, label }) => ({ text, label }))).toEqual(rows);
  });

  it('keeps the paper pool size as the largest default training pool', () => {
    expect(defaultTrainCount(256)).toBe(192);
    expect(defaultTrainCount(67_349)).toBe(1024);
  });
});

describe('rowFlag', () => {
  it('names the row and what to fix', () => {
    expect(rowFlag({ text: ' ', label: 0 }, 2, 4)).toMatch(/^Row 5: field "text" is empty/);
    expect(rowFlag({ text: 'fine', label: 2 }, 2, 0)).toMatch(/^Row 1: field "label" is 2, not a class id \(from 0 to 1\)/);
    expect(rowFlag({ text: 'x'.repeat(1025), label: 0 }, 2, 0)).toMatch(/1025 characters/);
    expect(rowFlag({ text: 'fine', label: 1 }, 2, 0)).toBeNull();
  });
});

describe('import mapping', () => {
  it('offers the header of a CSV and the keys of a JSONL file, and guesses text and label', () => {
    expect(columnsOf('id,sentence,label\n1,a,0\n', 'csv')).toEqual(['id', 'sentence', 'label']);
    expect(columnsOf('not json\n{"review": "a", "stars": 1}\n', 'jsonl')).toEqual(['review', 'stars']);
    expect(guessMapping(['id', 'sentence', 'label'])).toEqual({ text: 'sentence', label: 'label' });
    expect(guessMapping(['body', 'stars'])).toEqual({ text: 'body', label: 'stars' });
  });

  it('reads labels as the template\'s label words, and names the lines it cannot use', () => {
    const text = 'text,label\ngreat film,positive\nawful,meh\n,negative\nfine,0\n';
    const draft: ImportDraft = { fileName: 'r.csv', text, format: 'csv', columns: ['text', 'label'], mapping: { text: 'text', label: 'label' }, classes: 'template', mode: 'replace', result: null, error: null };
    const template = { inputPrefix: 'review: ', labelPrefix: 'sentiment: ', labelWords: ['negative', 'positive'], separator: '\n' };
    const result = evaluateDraft(draft, template).result!;
    expect(result.dataset.rows).toEqual([{ text: 'great film', label: 1 }, { text: 'fine', label: 0 }]);
    expect(result.problems.map((p) => p.line)).toEqual([3, 4]);
    expect(evaluateDraft({ ...draft, mapping: { text: 'body', label: 'label' } }, template).error).toMatch(/no column "body"/);
  });
});

describe('import: replace or append, and undo', () => {
  beforeEach(() => useDataStore.getState().loadSynthetic());
  const importFile = (name: string, text: string, patch: Parameters<ReturnType<typeof useDataStore.getState>['setImportMapping']>[0] = {}) => {
    const s = useDataStore.getState();
    s.openImport(name, text);
    s.setImportMapping(patch);
    s.commitImport();
    return useDataStore.getState();
  };

  it('replaces the built-in sample by default, and Undo brings it back', () => {
    const sample = useDataStore.getState().rows;
    useDataStore.getState().openImport('a.csv', 'text,label\ngood,positive\nbad,negative\n');
    expect(useDataStore.getState().importDraft?.mode).toBe('replace');
    useDataStore.getState().commitImport();
    const after = useDataStore.getState();
    expect(after.rows.map((r) => r.text).sort()).toEqual(['bad', 'good']);
    expect(after.lastImport).toMatchObject({ fileName: 'a.csv', mode: 'replace', added: 2 });
    after.undoImport();
    const undone = useDataStore.getState();
    expect(undone.rows).toBe(sample);
    expect(undone.info.source).toEqual({ kind: 'synthetic' });
    expect(undone.lastImport).toBeNull();
  });

  it("appends to the user's own rows by default: the rows already there keep their place and split", () => {
    const first = importFile('a.csv', 'text,label\ngood,positive\nbad,negative\n');
    useDataStore.getState().openImport('b.csv', 'text,label\nfine,positive\n');
    expect(useDataStore.getState().importDraft?.mode).toBe('append');
    useDataStore.getState().commitImport();
    const after = useDataStore.getState();
    expect(after.rows.slice(0, 2)).toEqual(first.rows);
    expect(after.rows.map((r) => r.text)).toEqual([...first.rows.map((r) => r.text), 'fine']);
    expect(after.info.name).toBe('a.csv');
    expect(after.info.notes).toContain('1 rows appended from b.csv.');
    after.undoImport();
    expect(useDataStore.getState().rows).toEqual(first.rows);
  });

  it("appends a file with its own classes: new labels become new classes after the current ones", () => {
    importFile('a.csv', 'text,label\ngood,positive\nbad,negative\n');
    const after = importFile('b.csv', 'text,label\nso-so,neutral\ngreat,positive\n', { classes: 'file' });
    expect(after.template.labelWords).toEqual(['negative', 'positive', 'neutral']);
    expect(after.info.classNames).toEqual(['negative', 'positive', 'neutral']);
    expect(after.rows.slice(2).map((r) => [r.text, r.label])).toEqual([
      ['so-so', 2],
      ['great', 1],
    ]);
  });

  it('ends the undo at any other change of the data, which the undo would otherwise revert', () => {
    importFile('a.csv', 'text,label\ngood,positive\n');
    useDataStore.getState().updateRow(0, { text: 'edited' });
    expect(useDataStore.getState().lastImport).toBeNull();
    useDataStore.getState().undoImport();
    expect(useDataStore.getState().rows[0].text).toBe('edited');
  });
});

describe('useDataStore', () => {
  beforeEach(() => useDataStore.getState().loadSynthetic());

  it('starts on the synthetic data and gives the training pool to train on', () => {
    const s = useDataStore.getState();
    expect(s.info.source).toEqual({ kind: 'synthetic' });
    const data = s.trainingData();
    expect(data.kind).toBe('rows');
    if (data.kind === 'rows') {
      expect(data.rows).toHaveLength(192);
      expect(data.template.labelWords).toEqual(['negative', 'positive']);
    }
    expect(s.evaluationSet({ seed: 3, setsPerQuery: 2 })).toMatchObject({ kind: 'rows', queries: { length: 64 }, demonstrations: { length: 192 }, k: 4 });
  });

  it('changes its version with every edit of the data', () => {
    const { version } = useDataStore.getState();
    useDataStore.getState().updateRow(0, { text: 'edited' });
    useDataStore.getState().addRow({ text: 'new', label: 1, test: false });
    useDataStore.getState().deleteRow(1);
    useDataStore.getState().setLabelWord(1, 'good');
    const s = useDataStore.getState();
    expect(s.version).toBe(version + 4);
    expect(s.rows[0].text).toBe('edited');
    expect(s.rows.at(-1)).toEqual({ text: 'new', label: 1, test: false });
    expect(s.rows).toHaveLength(256);
    expect(s.template.labelWords).toEqual(['negative', 'good']);
  });

  it('imports the good rows of a file with its labels as new classes', () => {
    const s = useDataStore.getState();
    s.openImport('q.csv', 'question,kind\nwho?,person\nwhere?,place\n,person\n');
    expect(useDataStore.getState().importDraft?.mapping).toEqual({ text: 'question', label: 'kind' });
    s.setImportMapping({ classes: 'file' });
    s.commitImport();
    const after = useDataStore.getState();
    expect(after.importDraft).toBeNull();
    expect(after.rows.map((r) => r.text).sort()).toEqual(['where?', 'who?']);
    expect(after.template.labelWords).toEqual(['person', 'place']);
    expect(after.info.notes[0]).toMatch(/1 rows of q.csv had problems/);
  });

  it('keeps the label scoring across data loads, counts it as a change of the data, and sends it with the test set', () => {
    const { version } = useDataStore.getState();
    expect(useDataStore.getState().labelScoring).toBe('sequence');
    useDataStore.getState().setLabelScoring('last');
    expect(useDataStore.getState().version).toBe(version + 1);
    expect(useDataStore.getState().evaluationSet({ seed: 3, setsPerQuery: 2 }).labelScoring).toBe('last');
    useDataStore.getState().loadSynthetic();
    expect(useDataStore.getState().labelScoring).toBe('last');
    useDataStore.getState().setLabelScoring('sequence');
  });
});

describe('saved data from before the label scoring option', () => {
  it("restores as scored by sequence, and a saved choice as it was; a broken value becomes 'sequence'", () => {
    const current = useDataStore.getState();
    const { labelScoring: _, ...older } = { k: 6, seed: 2, labelScoring: 'first' };
    expect(mergeSaved(older, current)).toMatchObject({ k: 6, seed: 2, labelScoring: 'sequence' });
    expect(mergeSaved({ k: 6, labelScoring: 'first' }, current).labelScoring).toBe('first');
    expect(mergeSaved({ labelScoring: 'middle' }, current).labelScoring).toBe('sequence');
    expect(mergeSaved(undefined, current).rows).toBe(current.rows);
  });
});
