import { useMemo, useState } from 'react';
import { plural } from '../../data/plural';
import { rowFlag, useDataStore } from '../../store/data-store';
import { AddRowForm } from './AddRowForm';
import { RowItem } from './RowItem';
import { SplitControl } from './SplitControl';

const PAGE_SIZE = 50;

type Filter = 'all' | 'train' | 'test' | 'flagged';

/** The rows a page at a time (so tens of thousands stay fast), each editable in place, flagged when it cannot be used. */
export function RowTable() {
  const rows = useDataStore((s) => s.rows);
  const labelWords = useDataStore((s) => s.template.labelWords);
  const [filter, setFilter] = useState<Filter>('all');
  const [page, setPage] = useState(0);
  const flags = useMemo(() => rows.map((row, i) => rowFlag(row, labelWords.length, i)), [rows, labelWords.length]);
  const shown = useMemo(() => {
    const keep = (i: number) =>
      filter === 'all' || (filter === 'flagged' ? flags[i] !== null : filter === 'test' ? rows[i].test : !rows[i].test);
    return rows.map((_, i) => i).filter(keep);
  }, [rows, flags, filter]);
  const flagged = flags.reduce((n, f) => n + (f ? 1 : 0), 0);
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const current = Math.min(page, pages - 1);

  return (
    <div className="data-card row-table">
      <div className="table-head">
        <h3>Rows</h3>
        <label className="inline-label">
          Show
          <select value={filter} onChange={(e) => (setFilter(e.target.value as Filter), setPage(0))} aria-label="Rows to show">
            <option value="all">all rows</option>
            <option value="train">training pool</option>
            <option value="test">test queries</option>
            <option value="flagged">rows with problems ({flagged})</option>
          </select>
        </label>
        {flagged > 0 && (
          <span className="flag-count" data-testid="flag-count">
            {plural(flagged, 'row')} cannot be used
          </span>
        )}
        <SplitControl key={rows.length} />
      </div>
      <AddRowForm onAdded={() => (setFilter('all'), setPage(Math.floor(rows.length / PAGE_SIZE)))} />
      <table className="data-table" aria-label="Rows">
        <thead>
          <tr>
            <th className="num">#</th>
            <th>Text</th>
            <th>Label</th>
            <th>Set</th>
            <th>
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.slice(current * PAGE_SIZE, (current + 1) * PAGE_SIZE).map((i) => (
            <RowItem key={`${i}:${rows[i].text}`} index={i} row={rows[i]} labelWords={labelWords} flag={flags[i]} />
          ))}
        </tbody>
      </table>
      {shown.length === 0 && <p className="muted empty">No rows here.</p>}
      <div className="pager">
        <button type="button" className="secondary small" disabled={current === 0} onClick={() => setPage(current - 1)}>
          ‹ Previous
        </button>
        <span className="muted" data-testid="row-page">
          {shown.length === 0 ? 0 : current * PAGE_SIZE + 1}–{Math.min(shown.length, (current + 1) * PAGE_SIZE)} of {shown.length.toLocaleString()}
        </span>
        <button type="button" className="secondary small" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
          Next ›
        </button>
      </div>
    </div>
  );
}
