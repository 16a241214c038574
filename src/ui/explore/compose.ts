/** Prompts composed from the user's dataset, in the paper's format, to explore before and after training. */
import { buildPrompt, type PromptTemplate } from '../../abft/prompts';
import type { Row } from '../../data/dataset';

/**
 * Prompt number `draw`: k demonstrations from the training pool and a query from the test rows
 * (the pool when there are none), stepping through the rows so each draw shows others.
 */
export function composePrompt(pool: readonly Row[], tests: readonly Row[], template: PromptTemplate, k: number, draw: number): string {
  if (pool.length === 0) throw new Error('The dataset has no training rows to take demonstrations from; add rows in the Data step.');
  const demonstrations = Array.from({ length: Math.min(k, pool.length) }, (_, i) => pool[(draw * k + i) % pool.length]);
  const queries = tests.length > 0 ? tests : pool;
  return buildPrompt(template, demonstrations, queries[draw % queries.length]).text;
}
