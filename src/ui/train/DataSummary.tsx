import { useDataStore } from '../../store/data-store';
import { useNavStore } from '../../store/nav-store';

/** Which dataset a run will train on; it is chosen and edited in the Data step. */
export function DataSummary() {
  const name = useDataStore((s) => s.info.name);
  const train = useDataStore((s) => s.rows.filter((r) => !r.test).length);
  const test = useDataStore((s) => s.rows.filter((r) => r.test).length);
  const go = useNavStore((s) => s.go);
  return (
    <p className="train-data" data-testid="train-data">
      <span className="muted">Data</span> <strong>{name}</strong>
      <span className="muted">
        {' '}
        · {train.toLocaleString('en')} training rows · {test.toLocaleString('en')} test queries
      </span>
      <button type="button" className="link" onClick={() => go('data')}>
        Change in Data
      </button>
    </p>
  );
}
