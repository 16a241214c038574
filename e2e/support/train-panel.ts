/** Driving the Train panel's evaluation settings the way a user does, for the browser tests. */
import type { Page } from 'playwright-core';
import { SUITE_MEASURES, type SuiteMeasure } from '../../src/abft/suite';
import { MEASURE_LABELS } from '../../src/ui/evaluation-measures';

/**
 * Ticks exactly `measures` among the evaluation measures. Tests that train with "Evaluate before
 * and after" pick accuracy alone: on SwiftShader the consistencies' 17 prompts per query would
 * cost them several times the run's own time, and evaluation.test.ts covers every measure.
 */
export async function pickMeasures(page: Page, measures: readonly SuiteMeasure[]): Promise<void> {
  const group = page.getByRole('group', { name: 'Evaluation measures' });
  for (const m of SUITE_MEASURES) await group.getByLabel(MEASURE_LABELS[m]).setChecked(measures.includes(m));
}
