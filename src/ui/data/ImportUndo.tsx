import { useDataStore } from '../../store/data-store';
import { plural } from '../../data/plural';

/** What the last import did, with its undo, until the data is changed otherwise. */
export function ImportUndo() {
  const last = useDataStore((s) => s.lastImport);
  const undo = useDataStore((s) => s.undoImport);
  if (!last) return null;
  const rows = (n: number) => plural(n, 'row');
  const what =
    last.mode === 'append'
      ? `Added ${rows(last.added)} from ${last.fileName}.`
      : `Replaced the ${rows(last.before.rows.length)} of “${last.before.info.name}” with ${rows(last.added)} from ${last.fileName}.`;
  return (
    <div className="import-undo" role="status" data-testid="import-undo">
      <span>{what}</span>
      <button type="button" className="secondary" onClick={undo}>
        Undo import
      </button>
    </div>
  );
}
