import { describe, expect, it } from 'vitest';
import { preparePrompts } from '../abft/prepared';
import { labelTargets, singleTokenIds } from '../abft/label-scoring';
import { buildPrompt, checkRowsForTemplate, locateLabels, templateOf, templateVariants } from '../abft/prompts';
import { buildTestSet, sampleTrainingPrompts } from '../abft/sampling';
import { memoryFolder } from '../model/files';
import { loadTokenizer } from '../model/tokenizer';
import { oracleScore } from './baselines';
import { classroomDataset } from './datasets';
import { explains, FAMILIES } from './families';
import { frameOf } from './frames';
import { parseLines } from './lines';
import { classroomTokenizerFiles } from './tokenizer-files';
import { IDS, tokenId, wordToken } from './vocabulary';

const K = 4;
const tokenizerPromise = loadTokenizer(memoryFolder('classroom', { ...classroomTokenizerFiles(256) }));
const idsOfText = (text: string) => text.split(' ').map((w) => wordToken(w)!.id);

it('draws unrelated keys and label words for two families of one seed', () => {
  const first = classroomDataset('word-first', { seed: 9, classes: 3 });
  const last = classroomDataset('word-last', { seed: 9, classes: 3 });
  expect([first.keys, first.template.labelWords]).not.toEqual([last.keys, last.template.labelWords]);
});

describe.each(FAMILIES.map((f) => [f.id, f.split] as const))('the classroom dataset of %s (%s)', (id) => {
  it('is the same for the same seed, balanced, and every row follows the family rule with the dataset keys', () => {
    const task = classroomDataset(id, { seed: 9, classes: 3, poolSize: 300, testSize: 90 });
    expect(classroomDataset(id, { seed: 9, classes: 3, poolSize: 300, testSize: 90 })).toEqual(task);
    expect(classroomDataset(id, { seed: 10, classes: 3, poolSize: 300, testSize: 90 }).dataset.rows).not.toEqual(task.dataset.rows);
    expect(task.dataset.rows).toHaveLength(300);
    expect(task.testRows).toHaveLength(90);
    expect(task.dataset.labelSet).toEqual(task.template.labelWords);
    expect(task.template).toEqual(templateOf({ inputPrefix: 'Input: ', labelPrefix: 'Label: ', labelWords: task.dataset.labelSet }));
    checkRowsForTemplate(task.dataset.rows, task.template, 'training pool');
    checkRowsForTemplate(task.testRows, task.template, 'test queries');
    for (const label of [0, 1, 2]) expect(task.dataset.rows.filter((r) => r.label === label)).toHaveLength(100);
    const rows = [...task.dataset.rows, ...task.testRows].map((r) => ({ text: idsOfText(r.text), label: r.label }));
    expect(explains(task.family, rows)).toBe(true);
  });

  it('gives prompts through the project prompt builder whose label positions hold the demonstrations\' label tokens', async () => {
    const tokenizer = await tokenizerPromise;
    const task = classroomDataset(id, { seed: 4, classes: 2, poolSize: 128, testSize: 32 });
    const labelIds = task.template.labelWords.map((w) => tokenId(w));
    // The app scores each class by the very token that stands at the demonstrations' label positions.
    for (const scoring of ['sequence', 'first', 'last'] as const) expect(singleTokenIds(labelTargets(tokenizer, task.template, scoring))).toEqual(labelIds);
    const draws = sampleTrainingPrompts(task.dataset.rows, 40, K, 7);
    const prepared = preparePrompts(tokenizer, task.template, draws, { maxPositions: 64, what: 'training prompt' });
    for (const [i, prompt] of prepared.entries()) {
      const draw = draws[i];
      // The prompt is <bos>, then the k demonstration lines and the query line token by token.
      const expected = [IDS.bos];
      for (const row of draw.demonstrations) expected.push(IDS.inputPrefix, ...idsOfText(row.text), IDS.labelPrefix, labelIds[row.label], IDS.separator);
      expected.push(IDS.inputPrefix, ...idsOfText(draw.query.text), IDS.labelPrefix);
      expect(prompt.ids).toEqual(expected);
      const positions = [...prompt.plus, ...prompt.minus].sort((a, b) => a - b);
      expect(positions).toHaveLength(K);
      const lines = parseLines(prompt.ids);
      expect(positions).toEqual(lines.slice(0, K).map((l) => l.labelPosition));
      for (const p of prompt.plus) expect(prompt.ids[p]).toBe(labelIds[prompt.gold]);
      for (const p of prompt.minus) expect(prompt.ids[p]).not.toBe(labelIds[prompt.gold]);
      expect(prompt.ids.at(-1)).toBe(IDS.labelPrefix);
      expect(lines.at(-1)!.label).toBeNull();
    }
  });

  it('has one-token label words in context under all nine template variants', async () => {
    const tokenizer = await tokenizerPromise;
    const task = classroomDataset(id, { seed: 4, classes: 4, poolSize: 64, testSize: 8 });
    const [draw] = buildTestSet(task.testRows.slice(0, 1), task.dataset.rows, 1, K, 3);
    for (const template of templateVariants(task.template)) {
      const located = locateLabels(tokenizer, buildPrompt(template, draw.demonstrations, draw.query), { maxPositions: 64 });
      expect(located.labelLengths).toEqual([1, 1, 1, 1]);
      const frame = frameOf(template);
      expect(located.ids.at(-1)).toBe(frame.labelPrefix);
      for (const [j, p] of located.labelPositions.entries()) {
        expect(located.ids[p]).toBe(tokenId(template.labelWords[draw.demonstrations[j].label]));
        expect(located.ids[p + 1]).toBe(frame.separator);
      }
    }
  });

  it('lets the oracle name the query label of every test prompt whose key is among its demonstrations', async () => {
    const tokenizer = await tokenizerPromise;
    const task = classroomDataset(id, { seed: 2, classes: 2, poolSize: 256, testSize: 64 });
    const prepared = preparePrompts(tokenizer, task.template, buildTestSet(task.testRows, task.dataset.rows, 2, K, 5), { maxPositions: 64, what: 'test prompt' });
    let answerable = 0;
    for (const prompt of prepared) {
      // Give the query line its gold label so the oracle scores it like any later line.
      const lines = parseLines([...prompt.ids, tokenId(task.template.labelWords[prompt.gold])]);
      const score = oracleScore(task.family, lines);
      const queryKey = task.family.keyOf(lines.at(-1)!.text);
      const keyShown = lines.slice(0, -1).some((l) => task.family.keyOf(l.text) === queryKey);
      if (keyShown) answerable++;
      // Every label the oracle can look up is right, the query's included.
      expect(score.correct).toBe(score.total);
    }
    // k = 4 demonstrations of 2 balanced classes: the query's key is missing in about 1 prompt in 16.
    expect(answerable / prepared.length).toBeGreaterThan(0.85);
  });
});
