import { useState, type DragEvent } from 'react';
import { useDataStore } from '../../store/data-store';

/** A CSV, TSV or JSONL file, dropped or picked, opens the column mapping step. */
export function FileImport() {
  const openImport = useDataStore((s) => s.openImport);
  const [dragging, setDragging] = useState(false);

  const read = async (file: File | undefined) => {
    if (file) openImport(file.name, await file.text());
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    void read(event.dataTransfer.files[0]);
  };

  return (
    <div
      className={`data-card file-import${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
    >
      <h3>Your own data</h3>
      <p className="muted">Drop a CSV, TSV or JSONL file here, with a column of texts and one of labels. You pick the columns next.</p>
      <label className="button-like">
        Choose a file…
        <input
          type="file"
          accept=".csv,.tsv,.tab,.jsonl,.ndjson"
          className="visually-hidden"
          aria-label="Import a data file"
          onChange={(e) => {
            void read(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
      </label>
    </div>
  );
}
