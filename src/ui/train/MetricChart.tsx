import { memo, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_HEIGHT } from './chart-size';
import { usePlotWidth } from './use-plot-width';
import { useMountedInTurn } from './use-staggered';

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
  /** A fixed value axis (a share in [0, 1]); fitted to the data when absent. Pass a module constant: recharts compares by reference. */
  readonly yDomain?: readonly number[] | readonly string[];
  /** Plot height in pixels, for a chart with a legend of many lines; CHART_HEIGHT when absent. */
  readonly height?: number;
}

// Module constants, not inline literals: recharts compares its props by reference and re-derives its layout on a change.
// Axes show every tick they compute (interval 0; about five): the default thins them by measuring each label's text in the DOM.
const tick = { fontSize: 11, fill: 'var(--muted)' };
const MARGIN = { top: 6, right: 12, bottom: 0, left: 0 };
const TOOLTIP_STYLE = { background: 'var(--panel)', border: '1px solid var(--border)', borderRadius: 6, fontSize: 12 };
const LEGEND_STYLE = { fontSize: 11 };
const X_DOMAIN = ['dataMin', 'dataMax'];
const Y_DOMAIN: readonly string[] = ['auto', 'auto'];
const tooltipValue = (v: unknown) => (typeof v === 'number' ? v.toPrecision(4) : String(v));
const tooltipStep = (step: unknown) => `step ${step}`;
const format = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(1) : String(Number(v.toPrecision(3))));

function hasValues(data: readonly object[], lines: readonly ChartLine[]): boolean {
  return data.some((row) => lines.some((l) => typeof (row as Record<string, unknown>)[l.key] === 'number'));
}

/**
 * Drawn under the empty note while there are no points: a chart's first point would otherwise
 * create its line, dots and their layers, several times the work of any later point, mid-run.
 */
function placeholder(lines: readonly ChartLine[]): object[] {
  return [Object.fromEntries([['step', 1], ...lines.map((l) => [l.key, 0])])];
}

/**
 * A per-step line chart; memoised and unanimated so a live run redraws it cheaply. The chart stays
 * mounted when it has no points (a note covers it) and while its step is hidden: mounting costs
 * far more than adding a point, so it is done once, in a task of its own, before the first step.
 */
export const MetricChart = memo(function MetricChart({ title, testId, data, lines, emptyNote, yDomain = Y_DOMAIN, height = CHART_HEIGHT }: Props) {
  const empty = !hasValues(data, lines);
  const mounted = useMountedInTurn();
  const [plot, width] = usePlotWidth<HTMLDivElement>();
  const blank = useMemo(() => placeholder(lines), [lines]);
  return (
    <figure className="train-chart" data-testid={testId} data-points={empty ? 0 : data.length}>
      <figcaption>{title}</figcaption>
      <div className="train-chart-plot" ref={plot} style={height === CHART_HEIGHT ? undefined : { height }}>
        {mounted && (
          <LineChart width={width} height={height} data={data.length > 0 ? (data as object[]) : blank} margin={MARGIN}>
            <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
            <XAxis dataKey="step" type="number" domain={X_DOMAIN} allowDecimals={false} interval={0} tick={tick} stroke="var(--border)" />
            <YAxis width={48} interval={0} tick={tick} stroke="var(--border)" tickFormatter={format} domain={yDomain} />
            <Tooltip isAnimationActive={false} formatter={tooltipValue} labelFormatter={tooltipStep} contentStyle={TOOLTIP_STYLE} />
            {lines.length > 1 && <Legend wrapperStyle={LEGEND_STYLE} />}
            {lines.map((l) => (
              <Line key={l.key} dataKey={l.key} name={l.name} stroke={l.color} strokeWidth={1.75} dot={data.length < 12} isAnimationActive={false} connectNulls={false} />
            ))}
          </LineChart>
        )}
        {empty && <p className="train-chart-empty muted">{emptyNote ?? 'No steps yet.'}</p>}
      </div>
    </figure>
  );
});
