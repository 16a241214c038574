import type { PreviewInput, PromptPreview } from '../../train/protocol';

/** The worker's last answer, with the input and model it answers. */
export type PreviewAnswer = { readonly input: PreviewInput; readonly modelLabel: string } & (
  | { readonly state: 'done'; readonly preview: PromptPreview }
  | { readonly state: 'failed'; readonly message: string }
);

/** What the preview shows; `stale`: the answer is for earlier data or another model, and a new one is on its way. */
export type PreviewState =
  | { readonly state: 'waiting' }
  | { readonly state: 'done'; readonly preview: PromptPreview; readonly stale: boolean }
  | { readonly state: 'failed'; readonly message: string; readonly stale: boolean };

/**
 * The preview of `input` with `modelLabel`'s tokenizer given the last answer: stale from the moment
 * the input or the model changes, not only once the new request is sent, until its answer arrives.
 */
export function previewState(answer: PreviewAnswer | null, input: PreviewInput, modelLabel: string): PreviewState {
  if (!answer) return { state: 'waiting' };
  const stale = answer.input !== input || answer.modelLabel !== modelLabel;
  return answer.state === 'done' ? { state: 'done', preview: answer.preview, stale } : { state: 'failed', message: answer.message, stale };
}

/** The problems of the shown preview that will stop training (the rows it could not draw, or the worker's blocking ones): why training cannot start. */
export function blockingProblems(drawn: Pick<PreviewInput, 'demonstrations' | 'query'> | string, state: PreviewState | null): string[] {
  if (typeof drawn === 'string') return [drawn];
  if (state?.state !== 'done') return [];
  return state.preview.problems.filter((p) => p.blocking).map((p) => p.message);
}
