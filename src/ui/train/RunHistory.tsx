import { runTitle, useRunHistoryStore, type RunRecord } from '../../store/run-history-store';
import { ReportExport } from './ReportExport';

const percent = (v: number | undefined) => (v === undefined ? '–' : `${(v * 100).toFixed(1)}%`);

function RunRow({ run, picked }: { run: RunRecord; picked: boolean }) {
  const { toggleCompared, remove } = useRunHistoryStore.getState();
  const last = run.steps.at(-1);
  const title = runTitle(run);
  return (
    <tr data-testid="run-row" className={picked ? 'picked' : undefined}>
      <td>
        <input type="checkbox" checked={picked} onChange={() => toggleCompared(run.id)} aria-label={`Compare ${title}`} />
      </td>
      <td>
        <div className="run-title">{title}</div>
        <div className="muted small">
          {run.modelLabel} · {new Date(run.startedAt).toLocaleString('en', { dateStyle: 'short', timeStyle: 'short' })}
          {run.outcome !== 'done' && ` · ${run.outcome}`}
        </div>
      </td>
      <td className="num">{last ? last.loss.toPrecision(4) : '–'}</td>
      <td className="num">
        {percent(run.accuracyBefore?.accuracy)} → {percent(run.accuracyAfter?.accuracy)}
      </td>
      <td className="run-actions">
        <ReportExport run={run} />
        <button type="button" className="link danger" onClick={() => remove(run.id)} aria-label={`Delete ${title}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}

/** Every finished run, newest first, kept across reloads; tick two to compare them. */
export function RunHistory() {
  const runs = useRunHistoryStore((s) => s.runs);
  const compared = useRunHistoryStore((s) => s.compared);
  if (runs.length === 0) return <p className="muted">Finished runs are kept here, across reloads, to compare and export.</p>;
  return (
    <table className="results run-history" data-testid="run-history">
      <thead>
        <tr>
          <th scope="col">
            <span className="visually-hidden">compare</span>
          </th>
          <th scope="col">run</th>
          <th scope="col" className="num">
            last loss
          </th>
          <th scope="col" className="num">
            accuracy
          </th>
          <th scope="col">
            <span className="visually-hidden">actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {runs.map((run) => (
          <RunRow key={run.id} run={run} picked={compared.includes(run.id)} />
        ))}
      </tbody>
    </table>
  );
}
