import { beforeAll, describe, expect, it } from 'vitest';
import type { Row } from '../data/dataset';
import { presetById } from '../data/presets';
import { syntheticSentiment } from '../data/synthetic';
import { memoryFolder } from '../model/files';
import { tinyTokenizerFiles } from '../model/testing/tiny-tokenizer';
import { loadTokenizer, type ModelTokenizer } from '../model/tokenizer';
import { buildPrompt, checkRowsForTemplate, locateLabels, templateOf, templateVariants, type PromptTemplate } from './prompts';
import { buildTestSet, demonstrationSets, sampleTrainingPrompts, unseenLabelPrompts, type PromptDraw } from './sampling';

const MR = templateOf(presetById('mr'));
const FP = templateOf(presetById('fp'));
const row = (text: string, label: number): Row => ({ text, label });

let tokenizer: ModelTokenizer;
beforeAll(async () => {
  tokenizer = await loadTokenizer(memoryFolder('tiny-gpt2', tinyTokenizerFiles('gpt2').files));
});

describe('buildPrompt', () => {
  it("writes the spec's example exactly", () => {
    const built = buildPrompt(MR, [row('a gorgeous film .', 1)], row('dull', 0));
    expect(built.text).toBe('review: a gorgeous film . sentiment: positive\nreview: dull sentiment: ');
    expect(built.demonstrationLabels).toEqual([1]);
    expect(built.queryLabel).toBe(0);
  });

  it('gives the character range of every demonstration label word', () => {
    const demos = [row('a', 1), row('bb', 0), row('ccc', 1), row('d', 0)];
    const built = buildPrompt(MR, demos, row('q', 1));
    expect(built.text.split('\n')).toHaveLength(5);
    expect(built.text.endsWith('review: q sentiment: ')).toBe(true);
    expect(built.labelRanges.map(([s, e]) => built.text.slice(s, e))).toEqual(['positive', 'negative', 'positive', 'negative']);
    expect(built.labelRanges[1][0]).toBe(built.text.indexOf('review: bb sentiment: ') + 'review: bb sentiment: '.length);
  });

  it('rejects a row with an empty text or a label outside the label words, naming it and the value', () => {
    expect(() => buildPrompt(MR, [row('ok', 0), row('  ', 1)], row('q', 0))).toThrow(
      'Demonstration 2: field "text" is empty ("  "); give the row a text or remove it.',
    );
    expect(() => buildPrompt(MR, [row('ok', 0)], row('q', 2))).toThrow('The query: field "label" is 2, not a class id (from 0 to 1); fix the label or remove the row.');
  });

  it('rejects duplicate or padded label words', () => {
    const twice: PromptTemplate = { ...MR, labelWords: ['good', 'bad', 'good'] };
    expect(() => buildPrompt(twice, [], row('q', 0))).toThrow('The template\'s label word "good" stands for both class 0 and class 2; give each class its own word.');
    expect(() => buildPrompt({ ...MR, labelWords: ['bad', ' good'] }, [], row('q', 0))).toThrow(/Label word 1 of the template is " good"/);
  });

  it('checks whole datasets against a template with row indices', () => {
    expect(() => checkRowsForTemplate([row('a', 0), row('b', 5)], MR, 'training pool')).toThrow(
      /1 of 2 rows of training pool cannot be used:\ntraining pool row 1: field "label" is 5,/,
    );
  });
});

describe('locateLabels (tiny GPT-2 tokenizer)', () => {
  const demos = [row('a gorgeous film .', 1), row('dull', 0), row('a delight', 1), row('tedious', 0)];

  it('finds each label token and splits it into I⁺ and I⁻ by the query label', () => {
    const built = buildPrompt(MR, demos, row('a joy', 1));
    const located = locateLabels(tokenizer, built, {});
    const [positive] = tokenizer.tokenIdOf(' positive');
    const [negative] = tokenizer.tokenIdOf(' negative');
    expect(located.ids).toEqual(tokenizer.encode(built.text));
    expect(located.labelPositions.map((p) => located.ids[p])).toEqual([positive, negative, positive, negative]);
    expect(located.plus).toEqual([located.labelPositions[0], located.labelPositions[2]]);
    expect(located.minus).toEqual([located.labelPositions[1], located.labelPositions[3]]);
    expect(located.lastPosition).toBe(located.ids.length - 1);
    expect(tokenizer.decode([located.ids[located.lastPosition]])).toBe(' ');
  });

  it('leaves I⁺ empty when the query label is among none of the demonstrations', () => {
    const built = buildPrompt(FP, demos, row('flat quarter', 2));
    const located = locateLabels(tokenizer, built, {});
    expect(located.plus).toEqual([]);
    expect(located.minus).toEqual(located.labelPositions);
    expect(located.labelPositions.map((p) => tokenizer.decode([located.ids[p]]))).toEqual([' neutral', ' negative', ' neutral', ' negative']);
  });

  it('reads a label word of several tokens at its first token, and says how many it spans', () => {
    const template: PromptTemplate = { ...MR, labelWords: ['negative', 'great'] };
    const built = buildPrompt(template, demos, row('q', 0));
    const located = locateLabels(tokenizer, built, { name: 'training prompt 3' });
    // The tiny vocabulary has no " g" merge, so the word's first token is its bare first letter.
    expect(located.labelPositions.map((p) => tokenizer.decode([located.ids[p]]))).toEqual(['g', ' negative', 'g', ' negative']);
    expect(located.labelLengths).toEqual([4, 1, 4, 1]);
    expect(located.labelPositions.map((p, i) => tokenizer.decode(located.ids.slice(p, p + located.labelLengths[i])))).toEqual(['great', ' negative', 'great', ' negative']);
    expect(located.plus).toEqual([located.labelPositions[1], located.labelPositions[3]]);
  });

  it("rejects a prompt longer than the model's context, with its length and the limit", () => {
    const built = buildPrompt(MR, demos, row('q', 0));
    const length = tokenizer.encode(built.text).length;
    expect(() => locateLabels(tokenizer, built, { maxPositions: 20 })).toThrow(
      `The prompt is ${length} tokens long, more than the model's limit of 20 positions`,
    );
    expect(locateLabels(tokenizer, built, { maxPositions: length }).ids).toHaveLength(length);
  });
});

describe('templateVariants', () => {
  it('gives nine distinct templates, the base first, each valid with the same label words', () => {
    const variants = templateVariants(MR);
    expect(variants).toHaveLength(9);
    expect(variants[0]).toEqual(MR);
    expect(new Set(variants.map((v) => JSON.stringify(v))).size).toBe(9);
    for (const v of variants) {
      expect(v.labelWords).toEqual(MR.labelWords);
      const built = buildPrompt(v, [row('a', 0), row('b', 1)], row('c', 1));
      expect(built.labelRanges.map(([s, e]) => built.text.slice(s, e))).toEqual(['negative', 'positive']);
      expect(built.text.endsWith(v.labelPrefix)).toBe(true);
    }
    expect(new Set(variants.map((v) => v.separator))).toEqual(new Set(['\n', '\n\n', ' \n']));
  });
});

describe('sampling', () => {
  const pool = syntheticSentiment({ size: 1024, seed: 7, classes: 3 }).rows;
  const key = (draws: PromptDraw[]) => draws.map((d) => [...d.demonstrationIndices, d.queryIndex].join(',')).join(';');

  it('draws training prompts reproducibly per seed, differently across seeds, with no row twice in a prompt', () => {
    const draws = sampleTrainingPrompts(pool, 512, 4, 1);
    expect(draws).toHaveLength(512);
    expect(key(sampleTrainingPrompts(pool, 512, 4, 1))).toBe(key(draws));
    expect(key(sampleTrainingPrompts(pool, 512, 4, 2))).not.toBe(key(draws));
    for (const d of draws) {
      const indices = [...d.demonstrationIndices, d.queryIndex!];
      expect(new Set(indices).size).toBe(5);
      expect(d.demonstrations).toEqual(d.demonstrationIndices.map((i) => pool[i]));
      expect(d.query).toBe(pool[d.queryIndex!]);
    }
    // The query's label need not be among the demonstrations: with 3 classes and k = 4 some prompts lack it.
    expect(draws.some((d) => d.demonstrations.every((r) => r.label !== d.query.label))).toBe(true);
  });

  it('rejects an empty pool, one smaller than k + 1, and a bad row by index', () => {
    expect(() => sampleTrainingPrompts([], 4, 4, 0)).toThrow('The training pool is empty, but a prompt of k = 4 demonstrations and a query needs 5 distinct rows; add rows or lower k.');
    expect(() => sampleTrainingPrompts(pool.slice(0, 4), 4, 4, 0)).toThrow(/The training pool has only 4 rows, but .* needs 5 distinct rows/);
    expect(() => sampleTrainingPrompts([...pool.slice(0, 5), row('', 0)], 4, 4, 0)).toThrow(/training pool row 5: field "text" is empty/);
    expect(() => sampleTrainingPrompts(pool, 4, 0, 0)).toThrow('The number of demonstrations k is 0; it must be a whole number of at least 1.');
  });

  it('builds a fixed test set of setsPerQuery prompts per query from the demonstration pool', () => {
    const queries = pool.slice(0, 512);
    const demoPool = pool.slice(512);
    const test = buildTestSet(queries, demoPool, 2, 4, 5);
    expect(test).toHaveLength(1024);
    expect(key(buildTestSet(queries, demoPool, 2, 4, 5))).toBe(key(test));
    expect(test.map((d) => d.queryIndex)).toEqual(queries.flatMap((_, q) => [q, q]));
    for (const d of test) {
      expect(d.query).toBe(queries[d.queryIndex!]);
      expect(new Set(d.demonstrationIndices).size).toBe(4);
      expect(d.demonstrations).toEqual(d.demonstrationIndices.map((i) => demoPool[i]));
    }
  });

  it('draws 8 different demonstration sets for one query', () => {
    const sets = demonstrationSets(pool[0], pool.slice(1), 8, 4, 9);
    expect(sets).toHaveLength(8);
    expect(sets.every((d) => d.query === pool[0])).toBe(true);
    expect(new Set(sets.map((d) => d.demonstrationIndices.join(','))).size).toBe(8);
    expect(key(demonstrationSets(pool[0], pool.slice(1), 8, 4, 9))).toBe(key(sets));
  });

  it("gives unseen-label prompts whose demonstrations all avoid the query's label", () => {
    const queries = pool.slice(0, 100);
    const prompts = unseenLabelPrompts(queries, pool.slice(100), 4, 3);
    expect(prompts).toHaveLength(100);
    for (const d of prompts) {
      expect(d.demonstrations.every((r) => r.label !== d.query.label)).toBe(true);
      expect(new Set(d.demonstrationIndices).size).toBe(4);
    }
    const oneClass = [row('a', 0), row('b', 0), row('c', 0), row('d', 0), row('e', 1)];
    expect(() => unseenLabelPrompts([row('q', 0)], oneClass, 4, 0)).toThrow(
      "Only 1 row of the demonstration pool has a label other than 0 (test query 0's), but an unseen-label prompt needs k = 4",
    );
  });
});
