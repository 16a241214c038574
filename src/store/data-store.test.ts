import { beforeEach, describe, expect, it } from 'vitest';
import { classroomPresetData } from '../data/classroom-presets';
import { defaultTrainCount, mergeSaved, rowFlag, splitRows, useDataStore } from './data-store';

const file = (content: string | Uint8Array<ArrayBuffer>) => new Blob([content]);

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
    expect(rowFlag({ text: 'x'.repeat(1025), label: 0 }, 2, 0)).toMatch(/the text is 1,025 characters, more than 1,024;/);
    expect(rowFlag({ text: 'fine', label: 1 }, 2, 0)).toBeNull();
  });
});

describe('import mapping', () => {
  beforeEach(() => useDataStore.getState().loadSynthetic());

  it("reads labels as the template's label words, names the lines it cannot use, and reads the file again for another mapping", async () => {
    const s = useDataStore.getState();
    await s.openImport(file('text,label\ngreat film,positive\nawful,meh\n,negative\nfine,0\n'), 'r.csv');
    const { reading } = useDataStore.getState().importDraft!;
    expect(reading!.result!.dataset.rows).toEqual([{ text: 'great film', label: 1 }, { text: 'fine', label: 0 }]);
    expect(reading!.result!.problems.map((p) => p.line)).toEqual([3, 4]);
    await s.setImportMapping({ mapping: { text: 'label', label: 'label' } });
    expect(useDataStore.getState().importDraft!.reading!.result!.dataset.rows).toEqual([
      { text: 'positive', label: 1 },
      { text: 'negative', label: 0 },
      { text: '0', label: 0 },
    ]);
  });

  it('reads a file that is not UTF-8 as Latin-1 when asked, and a semicolon CSV with its delimiter detected', async () => {
    const s = useDataStore.getState();
    await s.openImport(file(Uint8Array.from([...'text,label\ncaf'].map((c) => c.charCodeAt(0)).concat([0xe9, 0x2c, ...[...'positive\n'].map((c) => c.charCodeAt(0))]))), 'l.csv');
    expect(useDataStore.getState().importDraft!.reading).toMatchObject({ undecodable: true, error: expect.stringMatching(/^l\.csv is not valid UTF-8: byte E9 at offset 14 \(line 2/) });
    await s.setImportMapping({ encoding: 'windows-1252' });
    expect(useDataStore.getState().importDraft!.reading!.result!.dataset.rows).toEqual([{ text: 'café', label: 1 }]);

    await s.openImport(file('text;label\n"good, really";positive\n'), 's.csv');
    expect(useDataStore.getState().importDraft!.reading).toMatchObject({ delimiter: ';', detectedDelimiter: ';', columns: ['text', 'label'] });
    await s.setImportMapping({ delimiter: ',' });
    expect(useDataStore.getState().importDraft!.reading).toMatchObject({ delimiter: ',', detectedDelimiter: ';', columns: ['text;label'] });
  });
});

describe('import: replace or append, and undo', () => {
  beforeEach(() => useDataStore.getState().loadSynthetic());
  const importFile = async (name: string, text: string, patch: Parameters<ReturnType<typeof useDataStore.getState>['setImportMapping']>[0] = {}) => {
    const s = useDataStore.getState();
    await s.openImport(file(text), name);
    await s.setImportMapping(patch);
    s.commitImport();
    return useDataStore.getState();
  };

  it('replaces the built-in sample by default, and Undo brings it back', async () => {
    const sample = useDataStore.getState().rows;
    await useDataStore.getState().openImport(file('text,label\ngood,positive\nbad,negative\n'), 'a.csv');
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

  it("appends to the user's own rows by default: the rows already there keep their place and split", async () => {
    const first = await importFile('a.csv', 'text,label\ngood,positive\nbad,negative\n');
    await useDataStore.getState().openImport(file('text,label\nfine,positive\n'), 'b.csv');
    expect(useDataStore.getState().importDraft?.mode).toBe('append');
    useDataStore.getState().commitImport();
    const after = useDataStore.getState();
    expect(after.rows.slice(0, 2)).toEqual(first.rows);
    expect(after.rows.map((r) => r.text)).toEqual([...first.rows.map((r) => r.text), 'fine']);
    expect(after.info.name).toBe('a.csv');
    expect(after.info.notes).toContain('1 row appended from b.csv.');
    after.undoImport();
    expect(useDataStore.getState().rows).toEqual(first.rows);
  });

  it("appends a file with its own classes: new labels become new classes after the current ones", async () => {
    await importFile('a.csv', 'text,label\ngood,positive\nbad,negative\n');
    const after = await importFile('b.csv', 'text,label\nso-so,neutral\ngreat,positive\n', { classes: 'file' });
    expect(after.template.labelWords).toEqual(['negative', 'positive', 'neutral']);
    expect(after.info.classNames).toEqual(['negative', 'positive', 'neutral']);
    expect(after.rows.slice(2).map((r) => [r.text, r.label])).toEqual([
      ['so-so', 2],
      ['great', 1],
    ]);
  });

  it('keeps a choice of append or replace made while the file is being read', async () => {
    const s = useDataStore.getState();
    const opened = s.openImport(file('text,label\ngood,positive\n'), 'a.csv');
    expect(useDataStore.getState().importDraft).toMatchObject({ pending: true, reading: null });
    void s.setImportMapping({ mode: 'append' });
    await opened;
    expect(useDataStore.getState().importDraft).toMatchObject({ mode: 'append', pending: false });
  });

  it('ends the undo at any other change of the data, which the undo would otherwise revert', async () => {
    await importFile('a.csv', 'text,label\ngood,positive\n');
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

  it('imports the good rows of a file with its labels as new classes', async () => {
    const s = useDataStore.getState();
    await s.openImport(file('question,kind\nwho?,person\nwhere?,place\n,person\n'), 'q.csv');
    expect(useDataStore.getState().importDraft?.reading?.mapping).toEqual({ text: 'question', label: 'kind' });
    await s.setImportMapping({ classes: 'file' });
    s.commitImport();
    const after = useDataStore.getState();
    expect(after.importDraft).toBeNull();
    expect(after.rows.map((r) => r.text).sort()).toEqual(['where?', 'who?']);
    expect(after.template.labelWords).toEqual(['person', 'place']);
    expect(after.info.notes[0]).toBe('1 row of q.csv had problems and was left out.');
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

describe('a classroom dataset', () => {
  beforeEach(() => useDataStore.getState().loadSynthetic());

  it('loads split as it comes: its pool trains and gives the demonstrations, its test rows are the queries; an import replaces it', async () => {
    const expected = classroomPresetData('classroom/category-last');
    useDataStore.getState().loadClassroom('classroom/category-last');
    const s = useDataStore.getState();
    expect(s.info).toMatchObject({ name: 'Classroom: category-last', source: { kind: 'classroom', id: 'classroom/category-last' }, classNames: expected.classNames });
    expect(s.info.description).toMatch(/^Held-out family .* Made for the classroom model/);
    expect(s.template).toEqual(expected.template);
    const data = s.trainingData();
    expect(data.kind === 'rows' && data.rows).toEqual(expected.pool);
    const set = s.evaluationSet({ seed: 3, setsPerQuery: 2 });
    expect(set.kind === 'rows' && [set.queries, set.demonstrations]).toEqual([expected.testRows, expected.pool]);

    await s.openImport(file('text,label\ncat,alpha\n'), 'c.csv');
    expect(useDataStore.getState().importDraft?.mode).toBe('replace');
    useDataStore.getState().cancelImport();
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
