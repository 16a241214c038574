import type { StepMetrics } from '../train/trainer';

/** The latest step's numbers as text; the live charts will draw the same history. */
export function TrainingMetricsView({ latest }: { latest: StepMetrics }) {
  return (
    <dl className="metrics" data-testid="training-metrics">
      <dt>loss</dt>
      <dd data-testid="metric-loss">{latest.loss.toPrecision(4)}</dd>
      {/* Only ABFT steps have per-head statistics, 𝒜 and a head filter. */}
      {latest.perLayerHead && (
        <>
          <dt>𝒜 (punishment) this step → next</dt>
          <dd data-testid="metric-punishment">
            {latest.punishment.toFixed(4)} → {latest.nextPunishment.toFixed(4)}
          </dd>
          <dt>passing heads per prompt</dt>
          <dd data-testid="metric-passing-heads">{latest.passingHeads.toFixed(2)}</dd>
        </>
      )}
      {latest.perLayerHead && latest.passingHeads === 0 && (
        <dd className="hint" data-testid="no-passing-heads">
          No head puts enough of its attention on the demonstration labels to pass the filter (more than k / (k + ln n) of it), so
          this step changed nothing. Models with random weights and very small models often start there: try the "no head filter"
          ablation.
        </dd>
      )}
      <dt>gradient norm</dt>
      <dd>{latest.gradNorm.toPrecision(3)}</dd>
      <dt>step time</dt>
      <dd>{Math.round(latest.ms)} ms</dd>
    </dl>
  );
}
