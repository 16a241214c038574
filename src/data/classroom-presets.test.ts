import { describe, expect, it } from 'vitest';
import { checkRowsForTemplate } from '../abft/prompts';
import { unseenLabelPrompts } from '../abft/sampling';
import { classroomDataset } from '../classroom/datasets';
import { explains, HELD_OUT_FAMILIES, TRAIN_FAMILIES } from '../classroom/families';
import { wordToken } from '../classroom/vocabulary';
import { CLASSROOM_POOL_ROWS, CLASSROOM_PRESETS, CLASSROOM_SEED, CLASSROOM_TEST_ROWS, classroomPresetById, classroomPresetData } from './classroom-presets';

const ids = (text: string) => text.split(' ').map((w) => wordToken(w)!.id);

it('has one dataset per task family, named classroom/<family>, the held-out families marked', () => {
  expect(CLASSROOM_PRESETS.map((p) => p.id)).toEqual([...TRAIN_FAMILIES, ...HELD_OUT_FAMILIES].map((f) => `classroom/${f.id}`));
  expect(CLASSROOM_PRESETS.filter((p) => p.split === 'held-out').map((p) => p.name)).toEqual(['word-last', 'category-last', 'category-in-filler']);
  for (const p of CLASSROOM_PRESETS) expect(p.description).toMatch(p.split === 'held-out' ? /^Held-out family .*: the / : /^Pretraining family: the /);
  expect(() => classroomPresetById('classroom/word-middle')).toThrow(/No classroom dataset "classroom\/word-middle"; they are classroom\/word-alone, .*classroom\/category-in-filler\./);
});

describe.each(CLASSROOM_PRESETS.map((p) => [p.id, p] as const))('%s', (id, preset) => {
  const data = classroomPresetData(id);

  it('is the family dataset of the fixed seed: its pool and, of its test draws, balanced rows of the family rule', () => {
    const task = classroomDataset(preset.family.id, { seed: CLASSROOM_SEED, classes: 2, poolSize: CLASSROOM_POOL_ROWS, testSize: 3 * CLASSROOM_TEST_ROWS });
    expect(data.pool).toEqual(task.dataset.rows);
    expect(data.classNames).toEqual(task.keys);
    expect(data.template).toEqual(task.template);
    expect(data.template.labelWords).toHaveLength(2);
    expect(data.testRows).toHaveLength(CLASSROOM_TEST_ROWS);
    for (const rows of [data.pool, data.testRows]) {
      expect(rows.filter((r) => r.label === 0)).toHaveLength(rows.length / 2);
      expect(rows.map((r) => r.label).slice(0, 4)).toEqual([0, 1, 0, 1]);
    }
    // Each class's test rows are a subsequence of that class's test draws: some draws dropped, none reordered or made up.
    for (const label of [0, 1]) {
      const drawn = task.testRows.filter((r) => r.label === label);
      let at = 0;
      for (const row of data.testRows.filter((r) => r.label === label)) {
        while (at < drawn.length && drawn[at].text !== row.text) at++;
        expect(at++).toBeLessThan(drawn.length);
      }
    }
    checkRowsForTemplate([...data.pool, ...data.testRows], data.template, id);
    expect(explains(preset.family, [...data.pool, ...data.testRows].map((r) => ({ text: ids(r.text), label: r.label })))).toBe(true);
  });

  it('keeps the test queries apart from the pool (word-alone: every text is a key, so they are the pool texts)', () => {
    const poolTexts = new Set(data.pool.map((r) => r.text));
    const repeated = data.testRows.filter((r) => poolTexts.has(r.text)).length;
    if (preset.queriesRepeatPool) {
      expect(new Set(data.testRows.map((r) => r.text))).toEqual(new Set(data.classNames));
      expect(repeated).toBe(CLASSROOM_TEST_ROWS);
    } else {
      expect(repeated).toBe(0);
    }
  });

  it('supplies the unseen-label measure: each query gets k demonstrations of the other class from the pool', () => {
    const draws = unseenLabelPrompts(data.testRows, data.pool, 4, 1);
    expect(draws).toHaveLength(CLASSROOM_TEST_ROWS);
    for (const d of draws) expect(d.demonstrations.every((r) => r.label !== d.query.label)).toBe(true);
  });
});

it('gives the same rows on a second call and unrelated draws to different families', () => {
  const [a, b] = ['classroom/word-first', 'classroom/word-last'].map(classroomPresetData);
  expect(classroomPresetData('classroom/word-first')).toBe(a);
  expect(a.classNames).not.toEqual(b.classNames);
});

it('pins the first rows of the held-out datasets, so a change to the language or the seed is seen, not silent', () => {
  const first = (id: string) => {
    const d = classroomPresetData(id);
    return [d.classNames, d.template.labelWords, d.pool[0].text, d.testRows[0].text];
  };
  expect(first('classroom/word-last')).toEqual([['shirt', 'coat'], ['beta', 'iota'], 'shovel chisel shirt', 'knee shirt']);
  expect(first('classroom/category-last')).toEqual([['weather', 'vehicle'], ['tau', 'beta'], 'sock tiger sun', 'piano cloud']);
  expect(first('classroom/category-in-filler')).toEqual([['fruit', 'furniture'], ['tau', 'kappa'], 'peach a my', 'lemon some']);
});
