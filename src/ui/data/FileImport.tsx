import { useEffect, useState, type DragEvent } from 'react';
import { useDataStore } from '../../store/data-store';

const carriesFiles = (event: globalThis.DragEvent | DragEvent) => [...(event.dataTransfer?.types ?? [])].includes('Files');

/**
 * A file dropped beside the drop area would make the browser open it in place of the app; while
 * the Data step is mounted such a drop does nothing instead.
 */
function useNoStrayDrops(): void {
  useEffect(() => {
    const swallow = (event: globalThis.DragEvent) => {
      if (carriesFiles(event)) event.preventDefault();
    };
    window.addEventListener('dragover', swallow);
    window.addEventListener('drop', swallow);
    return () => {
      window.removeEventListener('dragover', swallow);
      window.removeEventListener('drop', swallow);
    };
  }, []);
}

/** A CSV, TSV, delimited .txt or JSONL file, dropped or picked, opens the column mapping step. */
export function FileImport() {
  const openImport = useDataStore((s) => s.openImport);
  const [dragging, setDragging] = useState(false);
  useNoStrayDrops();

  const read = (file: File | undefined) => {
    if (file) void openImport(file, file.name);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    read(event.dataTransfer.files[0]);
  };

  return (
    <div
      className={`data-card file-import${dragging ? ' dragging' : ''}`}
      data-testid="file-drop"
      onDragOver={(e) => {
        if (!carriesFiles(e)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
        setDragging(true);
      }}
      // Leaving for one of the card's own children is not leaving the card.
      onDragLeave={(e) => {
        if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragging(false);
      }}
      onDrop={onDrop}
    >
      <h3>Your own data</h3>
      <p className="muted">Drop a CSV, TSV, TXT or JSONL file here, with a column of texts and one of labels. You pick the columns next.</p>
      <label className="button-like">
        Choose a file…
        <input
          type="file"
          accept=".csv,.tsv,.tab,.txt,.jsonl,.ndjson"
          className="visually-hidden"
          aria-label="Import a data file"
          onChange={(e) => {
            read(e.target.files?.[0]);
            e.target.value = '';
          }}
        />
      </label>
    </div>
  );
}
