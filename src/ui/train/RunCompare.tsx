import { useMemo } from 'react';
import { headGrid, runTitle, useRunHistoryStore, type RunRecord } from '../../store/run-history-store';
import { AccuracyChart } from './AccuracyChart';
import { HeadGrid } from './HeadGrid';
import { MetricChart, type ChartLine } from './MetricChart';
import { keyNumbers } from './report';
import { compareSeries, stepSeries, type StepKey } from './series';

const COLORS = ['var(--accent)', 'var(--train-b)'] as const;

/** Settings first (a differing one is highlighted), then the outcomes, one column per run. */
function CompareTable({ runs }: { runs: readonly [RunRecord, RunRecord] }) {
  const settings = (r: RunRecord): [string, string][] => [
    ['model', r.modelLabel],
    ['data', r.dataName],
    ['objective', r.settings.objective],
    ['ablation', r.settings.objective === 'abft' ? r.settings.preset : '–'],
    ['learning rate', String(r.settings.lr)],
    ['pseudo-batch', String(r.settings.pseudoBatch)],
    ['micro-batch', String(r.settings.microBatch)],
    ['demonstrations (k)', String(r.options.k)],
    ['seed', String(r.settings.seed)],
  ];
  const [a, b] = runs.map((r) => new Map([...settings(r), ...keyNumbers(r)]));
  const names = [...new Set([...a.keys(), ...b.keys()])];
  return (
    <table className="results compare-table" data-testid="compare-table">
      <thead>
        <tr>
          <th scope="col" />
          {runs.map((r, i) => (
            <th scope="col" key={r.id} style={{ color: COLORS[i] }}>
              {runTitle(r)}
            </th>
          ))}
        </tr>
      </thead>
      <tbody>
        {names.map((name) => (
          <tr key={name} className={a.get(name) !== b.get(name) ? 'differs' : undefined}>
            <th scope="row">{name}</th>
            <td>{a.get(name) ?? '–'}</td>
            <td>{b.get(name) ?? '–'}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function CompareCharts({ runs }: { runs: readonly [RunRecord, RunRecord] }) {
  const [pa, pb] = useMemo(() => runs.map((r) => stepSeries(r.steps)), [runs]);
  const lines: ChartLine[] = runs.map((r, i) => ({ key: i === 0 ? 'a' : 'b', name: runTitle(r), color: COLORS[i] }));
  const series = (key: StepKey) => compareSeries(pa, pb, key);
  const accuracy = runs.map((r, i) => ({ name: runTitle(r), color: COLORS[i], accuracy: { before: r.evaluationBefore, after: r.evaluationAfter } }));
  return (
    <div className="train-charts">
      <MetricChart title="Loss" testId="compare-loss" data={series('loss')} lines={lines} />
      <MetricChart title="𝒜 (punishment)" testId="compare-punishment" data={series('punishment')} lines={lines} emptyNote="Neither run has 𝒜 (end-to-end)." />
      <MetricChart title="Passing heads per prompt" testId="compare-passing" data={series('passingHeads')} lines={lines} emptyNote="Neither run has a head filter (end-to-end)." />
      <AccuracyChart testId="compare-accuracy" runs={accuracy} />
    </div>
  );
}

function LastGrid({ run, testId }: { run: RunRecord; testId: string }) {
  const heads = run.steps.at(-1)?.heads ?? null;
  const grid = useMemo(() => (heads ? headGrid(heads, run.layers, run.heads) : null), [heads, run.layers, run.heads]);
  return <HeadGrid grid={grid} testId={testId} caption={`${runTitle(run)}: heads at step ${run.steps.length}`} />;
}

/** The two runs ticked in the history, side by side. */
export function RunCompare() {
  const runs = useRunHistoryStore((s) => s.runs);
  const compared = useRunHistoryStore((s) => s.compared);
  const pair = useMemo(() => {
    const picked = compared.map((id) => runs.find((r) => r.id === id)).filter((r) => r !== undefined);
    return picked.length === 2 ? ([picked[0], picked[1]] as const) : null;
  }, [runs, compared]);
  if (!pair) {
    return runs.length > 1 ? <p className="muted">Tick two runs to compare them side by side (ABFT against end-to-end, or an ablation).</p> : null;
  }
  return (
    <section className="run-compare" data-testid="run-compare" aria-label="Run comparison">
      <CompareTable runs={pair} />
      <CompareCharts runs={pair} />
      <div className="compare-grids">
        <LastGrid run={pair[0]} testId="compare-grid-a" />
        <LastGrid run={pair[1]} testId="compare-grid-b" />
      </div>
    </section>
  );
}
