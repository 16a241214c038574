import { useState, type FormEvent } from 'react';
import { useDataStore } from '../../store/data-store';

/** "Use N rows for training, the rest as test queries", drawn with a seed so the split can be repeated. */
export function SplitControl() {
  const rows = useDataStore((s) => s.rows);
  const storedSeed = useDataStore((s) => s.seed);
  const split = useDataStore((s) => s.split);
  const training = rows.reduce((n, r) => n + (r.test ? 0 : 1), 0);
  const [count, setCount] = useState(training);
  const [seed, setSeed] = useState(storedSeed);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    split(count, seed);
  };
  return (
    <form className="split-control" onSubmit={submit}>
      <label className="inline-label">
        Use
        <input type="number" aria-label="Training rows" min={0} max={rows.length} value={Number.isFinite(count) ? count : ''} onChange={(e) => setCount(e.target.valueAsNumber)} />
        rows for training, the rest as test queries; seed
        <input type="number" aria-label="Split seed" value={Number.isFinite(seed) ? seed : ''} onChange={(e) => setSeed(e.target.valueAsNumber)} />
      </label>
      <button type="submit" className="secondary small" disabled={!(count >= 0 && count <= rows.length) || !Number.isInteger(seed)}>
        Split
      </button>
    </form>
  );
}
