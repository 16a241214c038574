import { describe, expect, it } from 'vitest';
import type { PreviewInput, PromptPreview } from '../../train/protocol';
import { blockingProblems, previewState, type PreviewAnswer } from './preview-state';

const template = { inputPrefix: 'review: ', labelPrefix: 'sentiment: ', labelWords: ['negative', 'positive'], separator: '\n' };
const input = (query: string): PreviewInput => ({ template, labelScoring: 'sequence', demonstrations: [{ text: 'a fine film', label: 1 }], query: { text: query, label: 0 }, longestRow: null });
const preview = (problems: PromptPreview['problems']): PromptPreview => ({ characters: 40, tokens: [], tokenCount: 12, labelTokens: [], answers: [], maxPositions: 512, problems });

describe('the prompt preview state', () => {
  const first = input('dull');
  const answer: PreviewAnswer = { input: first, modelLabel: 'tiny', state: 'done', preview: preview([]) };

  it('waits for the first answer', () => {
    expect(previewState(null, first, 'tiny')).toEqual({ state: 'waiting' });
  });

  it('shows the answer to the current input and model as fresh', () => {
    expect(previewState(answer, first, 'tiny')).toEqual({ state: 'done', preview: answer.preview, stale: false });
  });

  it('marks the last answer stale as soon as the data or the model changes, until the new answer arrives', () => {
    const changed = input('dull');
    expect(previewState(answer, changed, 'tiny')).toEqual({ state: 'done', preview: answer.preview, stale: true });
    expect(previewState(answer, first, 'other model')).toMatchObject({ stale: true });
    const failed: PreviewAnswer = { input: first, modelLabel: 'tiny', state: 'failed', message: 'No model is loaded' };
    expect(previewState(failed, changed, 'tiny')).toEqual({ state: 'failed', message: 'No model is loaded', stale: true });
    expect(previewState({ ...answer, input: changed }, changed, 'tiny')).toMatchObject({ stale: false });
  });
});

describe('the problems that stop training', () => {
  const drawn = input('dull');

  it('are the blocking problems of the answer, or why no prompt could be drawn', () => {
    const problems = [
      { message: 'The prompt is 900 tokens long', blocking: true },
      { message: 'With the typed query, the prompt is 900 tokens long', blocking: false },
    ];
    expect(blockingProblems(drawn, { state: 'done', preview: preview(problems), stale: false })).toEqual(['The prompt is 900 tokens long']);
    expect(blockingProblems('The training pool has 2 rows, fewer than k + 1 = 5', null)).toEqual(['The training pool has 2 rows, fewer than k + 1 = 5']);
  });

  it('are none known while the first answer is awaited or the worker failed', () => {
    expect(blockingProblems(drawn, { state: 'waiting' })).toEqual([]);
    expect(blockingProblems(drawn, { state: 'failed', message: 'the worker stopped', stale: false })).toEqual([]);
    expect(blockingProblems(drawn, null)).toEqual([]);
  });
});
