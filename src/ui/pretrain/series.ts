/** Chart rows of a pretraining run: pure, so the charts can memoise them. */
import type { EvalPoint, HeadScores } from '../../store/pretrain-store';
import type { PretrainStepReport } from '../../train/protocol';

/** Points a line chart draws at most: a 10,000-step run would otherwise redraw 10,000 dots' worth of path per update. */
export const MAX_CHART_POINTS = 400;

/** Every k-th point so that at most `max` remain, the last always kept (it is the one being watched). */
export function thinned<T>(points: readonly T[], max = MAX_CHART_POINTS): T[] {
  if (points.length <= max) return [...points];
  const stride = Math.ceil(points.length / (max - 1));
  const kept = points.filter((_, i) => i % stride === 0);
  if (kept.at(-1) !== points.at(-1)) kept.push(points.at(-1)!);
  return kept;
}

export function lossRows(steps: readonly PretrainStepReport[]): { step: number; loss: number }[] {
  return thinned(steps).map(({ step, loss }) => ({ step, loss }));
}

/** The key of head (layer, head) in head rows. */
export function headKey(layer: number, head: number): string {
  return `l${layer}h${head}`;
}

/** One row per measurement: step, and each head's score under headKey. */
export function headRows(measures: readonly HeadScores[]): Record<string, number>[] {
  return thinned(measures).map(({ step, scores }) => {
    const row: Record<string, number> = { step };
    scores.forEach((layer, l) => layer.forEach((score, h) => (row[headKey(l, h)] = score)));
    return row;
  });
}

/** Recoverable-label accuracy of both splits, and the copy baseline of the train split, per evaluation. */
export function accuracyRows(evals: readonly EvalPoint[]): { step: number; train: number; heldOut: number; copy: number }[] {
  return evals.map(({ step, train, heldOut }) => ({ step, train: train.recoverable, heldOut: heldOut.recoverable, copy: train.copyBaseline }));
}

/** The head with the highest score of a measurement. */
export function strongestHead(scores: readonly (readonly number[])[]): { layer: number; head: number; score: number } {
  let best = { layer: 0, head: 0, score: -1 };
  scores.forEach((row, layer) => row.forEach((score, head) => score > best.score && (best = { layer, head, score })));
  return best;
}
