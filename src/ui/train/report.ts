/** A run's report: the whole record as JSON, and a readable HTML summary with its charts as inline SVG. */
import type { SuiteReport } from '../../abft/suite';
import { headGrid, runTitle, type RunRecord } from '../../store/run-history-store';
import { accuracySvg, escapeHtml, headGridSvg, lineChartSvg } from './report-svg';
import { headCells, stepSeries, type StepKey } from './series';

export const REPORT_FORMAT = 'abft-studio-run-report';

/** Version 2: the before and after evaluations are the suite's reports (evaluationBefore/After), no longer accuracy alone. */
export function runReport(run: RunRecord) {
  return { format: REPORT_FORMAT, version: 2, title: runTitle(run), ...run };
}

export function runReportJson(run: RunRecord): string {
  return JSON.stringify(runReport(run), null, 1);
}

/** A file name from the run's start time, which is unique enough and sorts by date. */
export function reportFileName(run: RunRecord, extension: 'json' | 'html'): string {
  return `abft-run-${new Date(run.startedAt).toISOString().slice(0, 19).replace(/[:T]/g, '-')}.${extension}`;
}

const percent = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);
const number = (v: number | undefined) => (v === undefined ? '–' : String(Number(v.toPrecision(4))));

/** `name before → after` of one measure of the suite; accuracy always has its row, a measure neither evaluation ran has none. */
function beforeAfter(run: RunRecord, name: string, value: (report: SuiteReport) => number | undefined): [string, string][] {
  const before = run.evaluationBefore && value(run.evaluationBefore);
  const after = run.evaluationAfter && value(run.evaluationAfter);
  if (name !== 'accuracy' && before == null && after == null) return [];
  return [[`${name} before → after`, `${percent(before ?? undefined)} → ${percent(after ?? undefined)}`]];
}

/** The numbers a reader looks for first, as [name, value] rows. */
export function keyNumbers(run: RunRecord): [string, string][] {
  const first = run.steps[0];
  const last = run.steps.at(-1);
  const abft = last?.heads != null;
  const seconds = run.steps.reduce((s, m) => s + m.ms, 0) / 1000;
  const tokens = run.steps.reduce((s, m) => s + m.tokens, 0);
  return [
    ['outcome', run.outcome + (run.message ? `: ${run.message}` : '')],
    ['steps', `${run.steps.length} of ${run.options.steps}`],
    ['loss, first → last step', `${number(first?.loss)} → ${number(last?.loss)}`],
    ...(abft ? ([['𝒜 after the last step', number(last?.nextPunishment)], ['passing heads per prompt, last step', number(last?.passingHeads)]] as [string, string][]) : []),
    ...beforeAfter(run, 'accuracy', (r) => r.test?.accuracy),
    ...beforeAfter(run, 'macro-F1', (r) => r.test?.macroF1),
    ...beforeAfter(run, 'demonstration consistency', (r) => r.demonstrationConsistency?.consistency),
    ...beforeAfter(run, 'template consistency', (r) => r.templateConsistency?.consistency),
    ...beforeAfter(run, 'unseen-label accuracy', (r) => r.unseenLabel?.accuracy),
    ['training time', `${seconds.toFixed(1)} s, ${Math.round(tokens / Math.max(seconds, 1e-9)).toLocaleString('en')} tokens/s`],
  ];
}

const row = (cells: readonly string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${escapeHtml(c)}</${tag}>`).join('')}</tr>`;

function optionRows(run: RunRecord): string {
  const { abft, ...rest } = run.options;
  const entries: [string, unknown][] = [...Object.entries(rest), ...(run.options.objective === 'abft' ? Object.entries(abft).map(([k, v]) => [`abft.${k}`, v] as [string, unknown]) : [])];
  return entries.map(([k, v]) => row([k, typeof v === 'object' ? JSON.stringify(v) : String(v)])).join('');
}

function charts(run: RunRecord): string {
  const points = stepSeries(run.steps);
  const line = (title: string, key: StepKey) => lineChartSvg(title, [{ name: runTitle(run), points: points.map((p) => [p.step, p[key]] as const) }]);
  const pct = (v: number | undefined) => (v === undefined ? null : v * 100);
  const last = run.steps.at(-1)?.heads;
  return [
    line('Loss', 'loss'),
    line('𝒜 (punishment)', 'punishment'),
    line('Passing heads per prompt', 'passingHeads'),
    accuracySvg('Accuracy before → after (%)', [{ name: runTitle(run), before: pct(run.evaluationBefore?.test?.accuracy), after: pct(run.evaluationAfter?.test?.accuracy) }]),
    last ? headGridSvg(`Attention on correct vs wrong labels, step ${run.steps.length}`, headCells(headGrid(last, run.layers, run.heads))) : '',
  ].join('\n');
}

const STYLE = `body{font-family:system-ui,sans-serif;color:#1b1f24;max-width:920px;margin:24px auto;padding:0 16px}h1{font-size:1.4rem;margin-bottom:4px}h2{font-size:1.1rem;margin-top:24px}
table{border-collapse:collapse;font-variant-numeric:tabular-nums}td,th{text-align:left;padding:3px 10px;border-bottom:1px solid #d9dee5}th{color:#5a6472;font-weight:500}
.muted{color:#5a6472}.charts{display:flex;flex-wrap:wrap;gap:12px}.charts svg{border:1px solid #d9dee5;border-radius:6px}`;

/** A standalone HTML page: opens offline, prints well, and carries its charts inline. */
export function runSummaryHtml(run: RunRecord): string {
  const title = runTitle(run);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`ABFT Studio run: ${title}`)}</title><style>${STYLE}</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">${escapeHtml(`${run.modelLabel} (${run.layers} layers × ${run.heads} heads) on ${run.dataName}; started ${new Date(run.startedAt).toLocaleString('en')}`)}</p>
<h2>Key numbers</h2>
<table>${keyNumbers(run).map((r) => row(r)).join('')}</table>
<h2>Charts</h2>
<div class="charts">
${charts(run)}
</div>
<h2>Weight change per layer</h2>
<table>${row(['layer', '‖ΔW_Q‖_F', '‖ΔW_K‖_F'], 'th')}${run.deltaNorms.map((n) => row([String(n.layer), n.q.toExponential(3), n.k.toExponential(3)])).join('')}</table>
<h2>Options</h2>
<table>${optionRows(run)}</table>
<p class="muted">Made by ABFT Studio. The full record, every step included, is in the run's JSON report.</p>
</body></html>
`;
}
