import { useMemo } from 'react';
import { usePretrainStore } from '../../store/pretrain-store';
import { MetricChart, type ChartLine } from '../train/MetricChart';
import { useStaggered } from '../train/use-staggered';
import { LabelScoreGrid } from './LabelScoreGrid';
import { accuracyRows, headKey, headRows, lossRows } from './series';

/** A step every few milliseconds on a fast GPU; a few redraws a second are enough to watch. */
const REDRAW_MS = 300;

const LOSS: readonly ChartLine[] = [{ key: 'loss', name: 'loss', color: 'var(--accent)' }];
const ACCURACY: readonly ChartLine[] = [
  { key: 'train', name: 'train families', color: '#4e79a7' },
  { key: 'heldOut', name: 'held-out families', color: '#f28e2b' },
  { key: 'copy', name: 'copy any earlier label', color: 'var(--muted)' },
];
const SHARE: readonly number[] = [0, 1];
/** Taller than the Train step's charts: two of the three carry a legend of several lines, and the three sit side by side. */
const PLOT_HEIGHT = 200;
/** Tableau 10: told apart by most readers, in light and dark themes. */
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

function headLines(layers: number, heads: number): ChartLine[] {
  return Array.from({ length: layers * heads }, (_, i) => {
    const [layer, head] = [Math.floor(i / heads), i % heads];
    return { key: headKey(layer, head), name: `L${layer} H${head}`, color: PALETTE[i % PALETTE.length] };
  });
}

/** The run, live: the loss, each head's label-attention score over steps (the phase change), the ICL accuracy, and the grid. */
export function PretrainCharts() {
  const steps = usePretrainStore((s) => s.steps);
  const heads = usePretrainStore((s) => s.heads);
  const evals = usePretrainStore((s) => s.evals);
  const plan = usePretrainStore((s) => s.plan);
  const loss = useStaggered(useMemo(() => lossRows(steps), [steps]), REDRAW_MS);
  const headData = useStaggered(useMemo(() => headRows(heads), [heads]), REDRAW_MS);
  const accuracy = useMemo(() => accuracyRows(evals), [evals]);
  const latest = useStaggered(heads.at(-1), REDRAW_MS);
  const lines = useMemo(() => (plan ? headLines(plan.layers, plan.heads) : []), [plan]);

  return (
    <section className="pretrain-live" aria-label="Pretraining charts">
      <div className="train-charts">
        <MetricChart title="Loss" testId="pretrain-loss" data={loss} lines={LOSS} height={PLOT_HEIGHT} />
        <MetricChart title="Label-attention score per head" testId="pretrain-head-chart" data={headData} lines={lines} yDomain={SHARE} height={PLOT_HEIGHT} />
        <MetricChart
          title="Recoverable-label accuracy"
          testId="pretrain-accuracy"
          data={accuracy}
          lines={ACCURACY}
          yDomain={SHARE}
          height={PLOT_HEIGHT}
          emptyNote={plan ? 'Measured every few hundred steps and at the last.' : undefined}
        />
      </div>
      <LabelScoreGrid latest={latest} />
    </section>
  );
}
