import { memo, useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, LabelList, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { accuracyRows, type AccuracyPair } from './series';

interface Props {
  readonly testId: string;
  /** One pair per run, drawn in its colour. */
  readonly runs: readonly { readonly name: string; readonly color: string; readonly accuracy: AccuracyPair }[];
}

const tick = { fontSize: 11, fill: 'var(--muted)' };

/** Accuracy on the test set before and after training, one bar per run. */
export const AccuracyChart = memo(function AccuracyChart({ testId, runs }: Props) {
  const rows = useMemo(() => accuracyRows(runs.map((r) => r.accuracy)), [runs]);
  const measured = rows.filter((row) => Object.keys(row).length > 1).length;
  return (
    <figure className="train-chart" data-testid={testId} data-points={measured}>
      <figcaption>Accuracy before → after (%)</figcaption>
      {measured === 0 ? (
        <p className="train-chart-empty muted">Measured before the first step and after the last when "Measure accuracy before and after" is on.</p>
      ) : (
        <ResponsiveContainer width="100%" height={150}>
          <BarChart data={rows} margin={{ top: 14, right: 12, bottom: 0, left: 0 }} barGap={2}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="when" tick={tick} stroke="var(--border)" />
            <YAxis width={48} domain={[0, 100]} tick={tick} stroke="var(--border)" />
            <Tooltip isAnimationActive={false} cursor={{ fill: 'var(--border)', opacity: 0.3 }} contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }} />
            {runs.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {runs.map((r, i) => (
              <Bar key={i} dataKey={`r${i}`} name={r.name} fill={r.color} isAnimationActive={false} maxBarSize={48} radius={[3, 3, 0, 0]}>
                <LabelList dataKey={`r${i}`} position="top" fontSize={11} fill="var(--muted)" formatter={(v: unknown) => (typeof v === 'number' ? `${v}%` : '')} />
              </Bar>
            ))}
          </BarChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
});
