import { useEffect, useState } from 'react';
import { sampleTrainingPrompts } from '../../abft/sampling';
import type { Row } from '../../data/dataset';
import type { DataRow } from '../../store/data-store';
import { trainerClient } from '../../store/trainer-client';
import type { PreviewInput } from '../../train/protocol';
import { previewState, type PreviewAnswer, type PreviewState } from './preview-state';

/** Typing in the template sends one request after a pause, not one per key. */
const DEBOUNCE_MS = 200;

/**
 * The rows of training prompt `index` as the trainer draws them from the training pool (seeded), or
 * why there is none; a typed query replaces the drawn one, with its label unknown.
 */
export function previewRows(rows: readonly DataRow[], k: number, seed: number, index: number, typedQuery: string): Pick<PreviewInput, 'demonstrations' | 'query'> | string {
  const pool: Row[] = rows.filter((r) => !r.test);
  try {
    const draw = sampleTrainingPrompts(pool, index + 1, k, seed)[index];
    const query = typedQuery.trim() === '' ? draw.query : { text: typedQuery, label: null };
    return { demonstrations: draw.demonstrations, query };
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/** The longest text of all the rows, training and test, with its 1-based row number in the table. */
export function longestRow(rows: readonly DataRow[]): PreviewInput['longestRow'] {
  let longest = -1;
  for (const [i, row] of rows.entries()) if (longest < 0 || row.text.length > rows[longest].text.length) longest = i;
  return longest < 0 ? null : { row: longest + 1, text: rows[longest].text };
}

/** The worker's tokenized preview of `input` with the loaded model, or null while there is no model to ask. */
export function usePromptPreview(input: PreviewInput | null, modelLabel: string | null): PreviewState | null {
  const [answer, setAnswer] = useState<PreviewAnswer | null>(null);
  useEffect(() => {
    if (!input || modelLabel === null) return;
    let current = true;
    const timer = setTimeout(() => {
      trainerClient()
        .request({ type: 'preview-prompt', input })
        .then(
          (reply) => current && setAnswer({ input, modelLabel, state: 'done', preview: reply.preview }),
          (error: unknown) => current && setAnswer({ input, modelLabel, state: 'failed', message: error instanceof Error ? error.message : String(error) }),
        );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [input, modelLabel]);
  return input && modelLabel !== null ? previewState(answer, input, modelLabel) : null;
}
