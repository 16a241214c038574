import { useDataStore } from '../../store/data-store';
import { plural } from '../../data/plural';

function SaveState() {
  const status = useDataStore((s) => s.saveStatus);
  if (status.state === 'failed') return <p role="alert" className="alert">{status.message}</p>;
  return (
    <span className="save-state muted" data-testid="data-save-state" data-state={status.state}>
      {status.state === 'saving' ? 'Saving…' : 'Saved in this browser'}
    </span>
  );
}

/** Which dataset is in use, how its rows are split, and whether it is safely stored. */
export function DatasetSummary() {
  const info = useDataStore((s) => s.info);
  const rows = useDataStore((s) => s.rows);
  const test = rows.reduce((n, r) => n + (r.test ? 1 : 0), 0);
  const synthetic = info.source.kind === 'synthetic';
  return (
    <div className="dataset-summary" data-testid="dataset-summary">
      <div className="dataset-title">
        <strong data-testid="dataset-name">{info.name}</strong>
        {synthetic && <span className="tag synthetic">Synthetic</span>}
        {info.source.kind === 'classroom' && <span className="tag classroom">Classroom</span>}
        <span className="muted counts">
          {plural(rows.length, 'row')} · {(rows.length - test).toLocaleString()} training · {plural(test, 'test query', 'test queries')} ·{' '}
          {plural(info.classNames.length, 'class', 'classes')}
        </span>
        <SaveState />
      </div>
      <p className="muted description">{info.description}</p>
      {info.notes.map((note) => (
        <p key={note} className="muted description">
          {note}
        </p>
      ))}
    </div>
  );
}
