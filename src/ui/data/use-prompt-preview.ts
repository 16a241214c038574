import { useEffect, useState } from 'react';
import { sampleTrainingPrompts } from '../../abft/sampling';
import type { Row } from '../../data/dataset';
import type { DataRow } from '../../store/data-store';
import { trainerClient } from '../../store/trainer-client';
import type { PreviewInput, PromptPreview } from '../../train/protocol';

/** Typing in the template sends one request after a pause, not one per key. */
const DEBOUNCE_MS = 200;

export type PreviewState =
  | { readonly state: 'waiting' }
  | { readonly state: 'done'; readonly preview: PromptPreview }
  | { readonly state: 'failed'; readonly message: string };

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

/** The worker's tokenized preview of `input` with the loaded model, or null while there is no model to ask. */
export function usePromptPreview(input: PreviewInput | null, modelLabel: string | null): PreviewState | null {
  const [state, setState] = useState<PreviewState>({ state: 'waiting' });
  useEffect(() => {
    if (!input || modelLabel === null) return;
    let current = true;
    const timer = setTimeout(() => {
      trainerClient()
        .request({ type: 'preview-prompt', input })
        .then(
          (reply) => current && setState({ state: 'done', preview: reply.preview }),
          (error: unknown) => current && setState({ state: 'failed', message: error instanceof Error ? error.message : String(error) }),
        );
    }, DEBOUNCE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
  }, [input, modelLabel]);
  return input && modelLabel !== null ? state : null;
}
