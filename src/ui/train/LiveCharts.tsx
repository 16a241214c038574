import { useMemo } from 'react';
import { compactStep } from '../../store/run-history-store';
import { useTrainingStore } from '../../store/training-store';
import { AccuracyChart } from './AccuracyChart';
import { HeadGrid } from './HeadGrid';
import { MetricChart, type ChartLine } from './MetricChart';
import { stepSeries } from './series';
import { useStaggered } from './use-staggered';

/** Steps can arrive every few milliseconds on a fast GPU; a few redraws a second are enough to watch. */
const REDRAW_MS = 300;

const LOSS: readonly ChartLine[] = [{ key: 'loss', name: 'loss', color: 'var(--accent)' }];
const PUNISHMENT: readonly ChartLine[] = [{ key: 'punishment', name: '𝒜', color: 'var(--accent)' }];
const PASSING: readonly ChartLine[] = [{ key: 'passingHeads', name: 'passing heads', color: 'var(--accent)' }];
const ABFT_ONLY = 'ABFT only: end-to-end training has no 𝒜 and no head filter.';

/**
 * The current run, live: loss, 𝒜, passing heads, accuracy before and after, and the head grid.
 * Each of them takes a new step in a task of its own (useStaggered), so a step never blocks the
 * page for the time of all their redraws together.
 */
export function LiveCharts() {
  const history = useTrainingStore((s) => s.history);
  const runEvaluation = useTrainingStore((s) => s.runEvaluation);
  const points = useMemo(() => stepSeries(history.map(compactStep)), [history]);
  const latest = history.at(-1);
  const loss = useStaggered(points, REDRAW_MS);
  const punishment = useStaggered(points, REDRAW_MS);
  const passing = useStaggered(points, REDRAW_MS);
  const accuracy = useStaggered(runEvaluation, REDRAW_MS);
  const accuracyRuns = useMemo(() => [{ name: 'this run', color: 'var(--accent)', accuracy }], [accuracy]);
  const grid = useStaggered(latest, REDRAW_MS);

  return (
    <section className="train-live" aria-label="Live charts">
      <div className="train-charts">
        <MetricChart title="Loss" testId="chart-loss" data={loss} lines={LOSS} />
        <MetricChart title="𝒜 (punishment)" testId="chart-punishment" data={punishment} lines={PUNISHMENT} emptyNote={punishment.length > 0 ? ABFT_ONLY : undefined} />
        <MetricChart title="Passing heads per prompt" testId="chart-passing" data={passing} lines={PASSING} emptyNote={passing.length > 0 ? ABFT_ONLY : undefined} />
        <AccuracyChart testId="chart-accuracy" runs={accuracyRuns} />
      </div>
      {grid && (
        <HeadGrid
          grid={grid.perLayerHead}
          testId="head-grid"
          caption={`Attention on correct vs wrong labels, per layer and head (step ${grid.step})`}
        />
      )}
    </section>
  );
}
