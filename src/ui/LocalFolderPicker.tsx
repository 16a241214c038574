import { useState, type ChangeEvent, type DragEvent } from 'react';
import { useModelStore } from '../store/model-store';
import { entriesOfDrop, filesOfEntries, filesOfInput } from './folder-files';

declare module 'react' {
  interface InputHTMLAttributes<T> {
    /** Chrome's folder picker; React passes the attribute through as written. */
    webkitdirectory?: string;
  }
}

/** A model folder from the disk: the folder picker, or a folder dragged onto the zone. */
export function LocalFolderPicker({ disabled }: { disabled: boolean }) {
  const { loadFiles, fail } = useModelStore.getState();
  const [dragging, setDragging] = useState(false);

  const picked = (event: ChangeEvent<HTMLInputElement>) => {
    const { files } = event.target;
    if (files && files.length > 0) {
      const folder = filesOfInput(files);
      void loadFiles(folder.label, folder.files);
    }
    // Picking the same folder again (after fixing a file in it) must fire another change.
    event.target.value = '';
  };

  const dropped = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    if (disabled) return;
    const entries = entriesOfDrop(event.dataTransfer);
    void filesOfEntries(entries).then(
      (folder) => loadFiles(folder.label, folder.files),
      (error: unknown) => fail(`the dropped folder could not be read (${error instanceof Error ? error.message : String(error)}); use "Open local folder" instead.`),
    );
  };

  return (
    <div
      className={`drop-zone${dragging ? ' dragging' : ''}`}
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={dropped}
    >
      <label className={`button-like${disabled ? ' disabled' : ''}`}>
        Open local folder
        <input type="file" webkitdirectory="" multiple className="visually-hidden" onChange={picked} disabled={disabled} />
      </label>
      <span className="muted">or drop a model folder here (config.json, model.safetensors, tokenizer.json)</span>
    </div>
  );
}
