import { useGpuStore } from '../../store/gpu-store';
import { useInterruptedRunStore, type InterruptedRun } from '../../store/interrupted-run-store';
import { runTitle, useRunHistoryStore, type RunRecord } from '../../store/run-history-store';
import { isActive, useTrainingStore } from '../../store/training-store';
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
        {percent(run.evaluationBefore?.test?.accuracy)} → {percent(run.evaluationAfter?.test?.accuracy)}
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

/** The run a reload or crash interrupted, with its metrics so far: resumed from its autosave to its target steps, or discarded. */
function InterruptedRow({ pending }: { pending: InterruptedRun }) {
  const { record } = pending;
  const busy = useTrainingStore((s) => isActive(s.run));
  const gpuReady = useGpuStore((s) => s.status.state === 'ready');
  const { resumeInterrupted, discardInterrupted } = useTrainingStore.getState();
  const last = record.steps.at(-1);
  const title = runTitle(record);
  return (
    <tr data-testid="interrupted-run" className="interrupted">
      <td />
      <td>
        <div className="run-title">{title}</div>
        <div className="muted small">
          {record.modelLabel} · {new Date(record.startedAt).toLocaleString('en', { dateStyle: 'short', timeStyle: 'short' })} ·{' '}
          <strong>interrupted</strong> at step {last?.step ?? 0} of {record.options.steps}
        </div>
      </td>
      <td className="num">{last ? last.loss.toPrecision(4) : '–'}</td>
      <td className="num">{percent(record.evaluationBefore?.test?.accuracy)} → –</td>
      <td className="run-actions">
        <button type="button" onClick={() => void resumeInterrupted()} disabled={busy || !gpuReady} aria-label={`Resume ${title}`}>
          Resume
        </button>
        <button type="button" className="link danger" onClick={() => void discardInterrupted()} disabled={busy} aria-label={`Discard ${title}`}>
          Discard
        </button>
      </td>
    </tr>
  );
}

/** Every finished run, newest first, kept across reloads; tick two to compare them. An interrupted run comes first, to resume. */
export function RunHistory() {
  const runs = useRunHistoryStore((s) => s.runs);
  const compared = useRunHistoryStore((s) => s.compared);
  const interrupted = useInterruptedRunStore((s) => s.interrupted);
  if (runs.length === 0 && !interrupted) return <p className="muted">Finished runs are kept here, across reloads, to compare and export.</p>;
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
        {interrupted && <InterruptedRow pending={interrupted} />}
        {runs.map((run) => (
          <RunRow key={run.id} run={run} picked={compared.includes(run.id)} />
        ))}
      </tbody>
    </table>
  );
}
