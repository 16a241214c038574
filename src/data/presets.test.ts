import { describe, expect, it } from 'vitest';
import { PRESETS, presetById } from './presets';

/** ABFT-SPEC.md §2's table, verbatim. */
const SPEC_TABLE = [
  { name: 'SST-2', dataset: 'nyu-mll/glue', config: 'sst2', input: 'sentence: ', label: 'sentiment: ', words: ['negative', 'positive'] },
  { name: 'MR', dataset: 'cornell-movie-review-data/rotten_tomatoes', input: 'review: ', label: 'sentiment: ', words: ['negative', 'positive'] },
  { name: 'FP', dataset: 'takala/financial_phrasebank', config: 'sentences_allagree', input: 'sentence: ', label: 'sentiment: ', words: ['negative', 'neutral', 'positive'] },
  { name: 'SST-5', dataset: 'SetFit/sst5', input: 'sentence: ', label: 'sentiment: ', words: ['poor', 'bad', 'neutral', 'good', 'great'] },
  { name: 'TREC', dataset: 'CogComp/trec', input: 'question: ', label: 'target: ', words: ['short', 'entity', 'description', 'person', 'location', 'number'] },
  { name: 'SUBJ', dataset: 'SetFit/subj', input: 'review: ', label: 'subjectiveness: ', words: ['objective', 'subjective'] },
  { name: 'TEE', dataset: 'cardiffnlp/tweet_eval', config: 'emotion', input: 'tweet: ', label: 'emotion: ', words: ['anger', 'joy', 'positive', 'sad'] },
  { name: 'TEH', dataset: 'cardiffnlp/tweet_eval', config: 'hate', input: 'tweet: ', label: 'hate speech: ', words: ['normal', 'hate'] },
];

describe('dataset presets', () => {
  it("match the spec's table: all 8 datasets, prefixes and label words verbatim", () => {
    expect(PRESETS.map((p) => p.name)).toEqual(SPEC_TABLE.map((row) => row.name));
    for (const [i, row] of SPEC_TABLE.entries()) {
      const preset = PRESETS[i];
      expect(preset.hub.dataset).toBe(row.dataset);
      if (row.config) expect(preset.hub.config).toBe(row.config);
      expect(preset.inputPrefix).toBe(row.input);
      expect(preset.labelPrefix).toBe(row.label);
      expect(preset.labelWords).toEqual(row.words);
    }
  });

  it('give every class a Hub class name and say where text and label are', () => {
    for (const preset of PRESETS) {
      expect(preset.classNames).toHaveLength(preset.labelWords.length);
      expect(preset.hub.splits.length).toBeGreaterThan(0);
      expect(preset.hub.textColumn).not.toBe('');
      expect(preset.hub.labelColumn).not.toBe('');
    }
    expect(presetById('trec').hub.labelColumn).toBe('coarse_label');
    expect(new Set(PRESETS.map((p) => p.id)).size).toBe(PRESETS.length);
  });

  it('are found by id, and an unknown id names the known ones', () => {
    expect(presetById('sst5').name).toBe('SST-5');
    expect(() => presetById('imdb')).toThrow('No dataset preset "imdb"; the presets are sst2, mr, fp, sst5, trec, subj, tee, teh.');
  });
});
