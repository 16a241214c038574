import { memo, useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_HEIGHT } from './chart-size';
import { accuracyRows, type AccuracyPair } from './series';
import { usePlotWidth } from './use-plot-width';
import { useMountedInTurn } from './use-staggered';

interface Props {
  readonly testId: string;
  /** One pair per run, drawn in its colour. */
  readonly runs: readonly { readonly name: string; readonly color: string; readonly accuracy: AccuracyPair }[];
}

// Module constants, not inline literals: recharts compares its props by reference and re-derives its layout on a change.
const tick = { fontSize: 11, fill: 'var(--muted)' };
const MARGIN = { top: 14, right: 12, bottom: 0, left: 0 };
const PERCENT_TICKS = [0, 25, 50, 75, 100];
const Y_DOMAIN = [0, 100];
const CURSOR = { fill: 'var(--border)', opacity: 0.3 };
const TOOLTIP_STYLE = { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 };
const LEGEND_STYLE = { fontSize: 11 };
const BAR_RADIUS: [number, number, number, number] = [3, 3, 0, 0];
/** accuracyRows' shape with every bar at 0. */
const blankRows = (runs: number) => ['before', 'after'].map((when) => Object.fromEntries([['when', when], ...Array.from({ length: runs }, (_, i) => [`r${i}`, 0])]));
const percentLabel = (v: unknown) => (typeof v === 'number' ? `${v}%` : '');

/** Accuracy on the test set before and after training, one bar per run; mounted once, like MetricChart. */
export const AccuracyChart = memo(function AccuracyChart({ testId, runs }: Props) {
  const rows = useMemo(() => accuracyRows(runs.map((r) => r.accuracy)), [runs]);
  const measured = rows.filter((row) => Object.keys(row).length > 1).length;
  // Drawn under the empty note until a measure comes: the first bars would otherwise be created mid-run (see MetricChart).
  const blank = useMemo(() => blankRows(runs.length), [runs.length]);
  const mounted = useMountedInTurn();
  const [plot, width] = usePlotWidth<HTMLDivElement>();
  return (
    <figure className="train-chart" data-testid={testId} data-points={measured}>
      <figcaption>Accuracy before → after (%)</figcaption>
      <div className="train-chart-plot" ref={plot}>
        {mounted && (
          <BarChart width={width} height={CHART_HEIGHT} data={measured > 0 ? rows : blank} margin={MARGIN} barGap={2}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="when" tick={tick} stroke="var(--border)" interval={0} />
            <YAxis width={48} domain={Y_DOMAIN} ticks={PERCENT_TICKS} interval={0} tick={tick} stroke="var(--border)" />
            <Tooltip isAnimationActive={false} cursor={CURSOR} contentStyle={TOOLTIP_STYLE} />
            {runs.length > 1 && <Legend wrapperStyle={LEGEND_STYLE} />}
            {runs.map((r, i) => (
              <Bar key={i} dataKey={`r${i}`} name={r.name} fill={r.color} isAnimationActive={false} maxBarSize={48} radius={BAR_RADIUS}>
                <LabelList dataKey={`r${i}`} position="top" fontSize={11} fill="var(--muted)" formatter={percentLabel} />
              </Bar>
            ))}
          </BarChart>
        )}
        {measured === 0 && (
          <p className="train-chart-empty muted">Measured before the first step and after the last when "Evaluate before and after" and its accuracy measure are on.</p>
        )}
      </div>
    </figure>
  );
});
