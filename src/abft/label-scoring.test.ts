import { beforeAll, describe, expect, it } from 'vitest';
import { InputError } from '../data/dataset';
import { presetById } from '../data/presets';
import { memoryFolder } from '../model/files';
import { tinyTokenizerFiles } from '../model/testing/tiny-tokenizer';
import { loadTokenizer, type ModelTokenizer } from '../model/tokenizer';
import { labelTargets, scoringRoom, scoringRuns, singleTokenIds, type LabelScoring, type LabelTargets } from './label-scoring';
import { templateOf } from './prompts';

const TEE = templateOf(presetById('tee'));
const SUBJ = templateOf(presetById('subj'));

/** A GPT-2-like BPE whose TEE and SUBJ label words are one token after a space and several bare, as GPT-2's. */
let gpt2: ModelTokenizer;
let qwen2: ModelTokenizer;
beforeAll(async () => {
  gpt2 = await loadTokenizer(memoryFolder('tiny-gpt2', tinyTokenizerFiles('gpt2', { spaceOnlyWords: ['anger', 'joy', 'sad', 'objective', 'subjective'] }).files));
  qwen2 = await loadTokenizer(memoryFolder('tiny-qwen2', tinyTokenizerFiles('qwen2').files));
});

const bytes = (word: string) => [...word].map((ch) => gpt2.tokenIdOf(ch)[0]);

describe('labelTargets', () => {
  it("scores each bare label word by its whole token sequence, its first or its last token (StaICC's)", () => {
    expect(gpt2.tokenIdOf(' sad')).toHaveLength(1);
    const [positive] = gpt2.tokenIdOf('positive');
    const words = ['anger', 'joy', 'positive', 'sad'];
    const sequence = words.map((w) => (w === 'positive' ? [positive] : bytes(w)));
    expect(labelTargets(gpt2, TEE, 'sequence')).toEqual({ scoring: 'sequence', words, tokens: sequence });
    expect(labelTargets(gpt2, TEE, 'first').tokens).toEqual(sequence.map((ids) => [ids[0]]));
    expect(labelTargets(gpt2, TEE, 'last').tokens).toEqual(sequence.map((ids) => [ids[ids.length - 1]]));
  });

  it('refuses two words with the same scoring id, naming both, the token and what to do', () => {
    // "objective" and "subjective" both end in "e"; they start differently.
    const [e] = gpt2.tokenIdOf('e');
    expect(() => labelTargets(gpt2, SUBJ, 'last')).toThrow(InputError);
    expect(() => labelTargets(gpt2, SUBJ, 'last')).toThrow(
      new RegExp(
        `^The label words "objective" and "subjective" both end with the token "e" \\(id ${e}\\), so scoring by the last token cannot tell them apart; ` +
          'use another label scoring \\(sequence, the default, scores the whole word; --label-scoring on the command line, "Label scoring" beside the label words in the app\\) or label words whose last tokens differ\\.$',
      ),
    );
    expect(labelTargets(gpt2, SUBJ, 'first').tokens).toEqual([[gpt2.tokenIdOf('o')[0]], [gpt2.tokenIdOf('s')[0]]]);
    expect(labelTargets(gpt2, SUBJ, 'sequence').tokens).toEqual([bytes('objective'), bytes('subjective')]);
    expect(() => labelTargets(gpt2, { ...TEE, labelWords: ['sad', 'sour'] }, 'first')).toThrow(/^The label words "sad" and "sour" both start with the token "s" \(id \d+\)/);
  });

  it('refuses two words that are the same tokens, under every rule', () => {
    // Qwen2 normalises to NFC, so a precomposed and a decomposed "é" are the same bytes.
    const template = { ...TEE, labelWords: ['caf\u00e9', 'cafe\u0301'] };
    for (const rule of ['sequence', 'first', 'last'] as const) {
      expect(() => labelTargets(qwen2, template, rule)).toThrow(/^The label words "caf\u00e9" and "cafe\u0301" are the same tokens for this model, .*, so no scoring rule can tell them apart; choose label words that differ\.$/);
    }
  });

  it('refuses an unknown rule', () => {
    expect(() => labelTargets(gpt2, TEE, 'middle' as LabelScoring)).toThrow('The label scoring is "middle"; it must be one of sequence, first, last.');
  });
});

describe('scoringRuns', () => {
  const labels = (tokens: number[][]): LabelTargets => ({ scoring: 'sequence', words: tokens.map((_, i) => `w${i}`), tokens });
  const prompt = [5, 6, 7];

  it('scores single-token words on the prompt alone, every class from its last row', () => {
    const single = labels([[1], [2], [3]]);
    expect(singleTokenIds(single)).toEqual([1, 2, 3]);
    expect(scoringRoom(single)).toBe(0);
    expect(scoringRuns(prompt, single)).toEqual([
      { ids: prompt, extendedBy: null, reads: [{ row: 2, targets: [{ token: 1, label: 0 }, { token: 2, label: 1 }, { token: 3, label: 2 }] }] },
    ]);
  });

  it('extends the prompt by each longer word but its last token, reading the prompt row once and each later token at the row before it', () => {
    const mixed = labels([[1, 8], [2], [3, 4, 9]]);
    expect(singleTokenIds(mixed)).toBeNull();
    expect(scoringRoom(mixed)).toBe(2);
    expect(scoringRuns(prompt, mixed)).toEqual([
      {
        ids: [5, 6, 7, 1],
        extendedBy: 0,
        reads: [
          { row: 2, targets: [{ token: 1, label: 0 }, { token: 2, label: 1 }, { token: 3, label: 2 }] },
          { row: 3, targets: [{ token: 8, label: 0 }] },
        ],
      },
      {
        ids: [5, 6, 7, 3, 4],
        extendedBy: 2,
        reads: [
          { row: 3, targets: [{ token: 4, label: 2 }] },
          { row: 4, targets: [{ token: 9, label: 2 }] },
        ],
      },
    ]);
  });
});
