import { memo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export interface ChartLine {
  readonly key: string;
  readonly name: string;
  readonly color: string;
}

interface Props {
  readonly title: string;
  readonly testId: string;
  readonly data: readonly object[];
  readonly lines: readonly ChartLine[];
  /** Shown instead of the lines when none has a value (𝒜 of an end-to-end run). */
  readonly emptyNote?: string;
}

const tick = { fontSize: 11, fill: 'var(--muted)' };
const format = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

function hasValues(data: readonly object[], lines: readonly ChartLine[]): boolean {
  return data.some((row) => lines.some((l) => typeof (row as Record<string, unknown>)[l.key] === 'number'));
}

/** A per-step line chart; memoised and unanimated so a live run redraws it cheaply. */
export const MetricChart = memo(function MetricChart({ title, testId, data, lines, emptyNote }: Props) {
  const empty = !hasValues(data, lines);
  return (
    <figure className="train-chart" data-testid={testId} data-points={empty ? 0 : data.length}>
      <figcaption>{title}</figcaption>
      {empty ? (
        <p className="train-chart-empty muted">{emptyNote ?? 'No steps yet.'}</p>
      ) : (
        <ResponsiveContainer width="100%" height={150}>
          <LineChart data={data as object[]} margin={{ top: 6, right: 12, bottom: 0, left: 0 }}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} allowDecimals={false} tick={tick} stroke="var(--border)" />
            <YAxis width={48} tick={tick} stroke="var(--border)" tickFormatter={format} domain={['auto', 'auto']} />
            <Tooltip
              isAnimationActive={false}
              formatter={(v) => (typeof v === 'number' ? v.toPrecision(4) : String(v))}
              labelFormatter={(step) => `step ${step}`}
              contentStyle={{ background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 }}
            />
            {lines.length > 1 && <Legend wrapperStyle={{ fontSize: 11 }} />}
            {lines.map((l) => (
              <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeWidth={1.75} dot={data.length < 12} isAnimationActive={false} connectNulls={false} />
            ))}
          </LineChart>
        </ResponsiveContainer>
      )}
    </figure>
  );
});
