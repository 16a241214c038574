/**
 * Classification measures on the CPU (ABFT-SPEC.md §5): accuracy, macro-F1, the confusion matrix
 * and the paper's prediction consistency. Class ids index the template's label words. A measure of
 * no predictions at all is NaN, not 0: there is no evidence either way, and a UI can show it as "—".
 */

function checkPairs(pred: readonly number[], gold: readonly number[], classes?: number): void {
  if (pred.length !== gold.length) throw new Error(`${pred.length} predictions for ${gold.length} gold labels; they must pair up one to one.`);
  if (classes === undefined) return;
  for (const [i, c] of [...pred, ...gold].entries()) {
    if (!Number.isInteger(c) || c < 0 || c >= classes) {
      const which = i < pred.length ? `prediction ${i}` : `gold label ${i - pred.length}`;
      throw new Error(`${which} is ${c}, not a class id of ${classes} classes (0..${classes - 1}).`);
    }
  }
}

export function accuracy(pred: readonly number[], gold: readonly number[]): number {
  checkPairs(pred, gold);
  if (pred.length === 0) return NaN;
  return pred.reduce((n, p, i) => n + (p === gold[i] ? 1 : 0), 0) / pred.length;
}

/** [gold][pred] counts: row = true class, column = predicted class (sklearn's orientation). */
export function confusionMatrix(pred: readonly number[], gold: readonly number[], classes: number): number[][] {
  checkPairs(pred, gold, classes);
  const m = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  pred.forEach((p, i) => m[gold[i]][p]++);
  return m;
}

/**
 * Unweighted mean of the per-class F1 = 2·TP / (2·TP + FP + FN).
 * Convention: a class with no gold example and no prediction (TP + FP + FN = 0) is left out of the
 * mean, since it says nothing about the classifier; any other class whose precision or recall is
 * undefined counts as F1 = 0 (sklearn's zero_division = 0), so a class never predicted scores 0.
 */
export function macroF1(pred: readonly number[], gold: readonly number[], classes: number): number {
  const m = confusionMatrix(pred, gold, classes);
  const scores: number[] = [];
  for (let c = 0; c < classes; c++) {
    const tp = m[c][c];
    const fn = m[c].reduce((s, v) => s + v, 0) - tp;
    const fp = m.reduce((s, row) => s + row[c], 0) - tp;
    if (tp + fp + fn > 0) scores.push((2 * tp) / (2 * tp + fp + fn));
  }
  return scores.length === 0 ? NaN : scores.reduce((s, v) => s + v, 0) / scores.length;
}

/**
 * The paper's consistency (Table 3): per group (one query's predictions across templates or
 * demonstration sets), the count of its most frequent prediction over the group's size, averaged
 * over groups. 1 means every variant gave the same answer.
 */
export function consistency(groups: readonly (readonly number[])[]): number {
  if (groups.length === 0) return NaN;
  const total = groups.reduce((sum, group, g) => {
    if (group.length === 0) throw new Error(`consistency: group ${g} has no predictions; every query needs at least one.`);
    const counts = new Map<number, number>();
    for (const p of group) counts.set(p, (counts.get(p) ?? 0) + 1);
    return sum + Math.max(...counts.values()) / group.length;
  }, 0);
  return total / groups.length;
}
