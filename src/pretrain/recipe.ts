/**
 * The app's pretraining recipe: the committed classroom config (the recipe of the shipped
 * classroom model) with the two values a user may change, the steps and the sequences per step.
 * The warm-up and the schedule's length keep their share of the steps, so a short run still warms
 * up and decays as the long one does (and a run of fewer steps than the recipe's warm-up is
 * possible at all).
 */
import CLASSROOM_CONFIG from '../classroom/classroom-model.config.json';
import { parsePretrainConfig, type PretrainConfig } from './config';

/** The values as typed, kept as text so a reload shows what was typed, wrong or not. */
export interface RecipeEdits {
  readonly steps: string;
  readonly batch: string;
}

export type RecipeField = keyof RecipeEdits;

/** Bounds of what can be typed: a million steps is days on a fast GPU; 256 sequences of the recipe's length fit any adapter. */
export const RECIPE_BOUNDS: Readonly<Record<RecipeField, { readonly min: number; readonly max: number; readonly name: string }>> = {
  steps: { min: 1, max: 1_000_000, name: 'Steps' },
  batch: { min: 1, max: 256, name: 'Sequences per step' },
};

export const DEFAULT_RECIPE_EDITS: RecipeEdits = { steps: String(CLASSROOM_CONFIG.steps), batch: String(CLASSROOM_CONFIG.batch.sequences) };

export type Recipe =
  | { readonly ok: true; readonly json: Record<string, unknown>; readonly config: PretrainConfig }
  | { readonly ok: false; readonly problems: Partial<Record<RecipeField, string>> };

function wholeNumber(field: RecipeField, text: string): number | string {
  const { min, max, name } = RECIPE_BOUNDS[field];
  const value = Number(text.trim());
  if (text.trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    return `${name} must be a whole number from ${min} to ${max.toLocaleString('en-US')}; ${JSON.stringify(text)} is not.`;
  }
  return value;
}

/** The recipe with the edits, checked as the worker will check it. */
export function classroomRecipe(edits: RecipeEdits): Recipe {
  const steps = wholeNumber('steps', edits.steps);
  const batch = wholeNumber('batch', edits.batch);
  if (typeof steps === 'string' || typeof batch === 'string') {
    return { ok: false, problems: { ...(typeof steps === 'string' && { steps }), ...(typeof batch === 'string' && { batch }) } };
  }
  const base = CLASSROOM_CONFIG;
  const share = (n: number) => Math.round((n * steps) / base.steps);
  const warmupSteps = Math.min(steps - 1, share(base.optimizer.warmupSteps));
  const decaySteps = Math.max(steps, share(base.optimizer.decaySteps));
  const json = { ...base, steps, batch: { ...base.batch, sequences: batch }, optimizer: { ...base.optimizer, warmupSteps, decaySteps } };
  return { ok: true, json, config: parsePretrainConfig(json, 'the pretraining recipe') };
}

/** Steps between head scores: about a hundred a run, never fewer than the recipe's log lines. */
export function headScoreEvery(config: PretrainConfig): number {
  return Math.max(1, Math.min(config.logEvery, Math.round(config.steps / 100)));
}
