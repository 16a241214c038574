import { useDataStore, type ImportDraft } from '../../store/data-store';
import { importStatement } from '../../store/import-apply';
import { ImportProblems } from './ImportProblems';

const PREVIEW_ROWS = 5;

function ColumnSelect({ id, label, value, columns, onChange }: { id: string; label: string; value: string; columns: readonly string[]; onChange: (v: string) => void }) {
  return (
    <div className="field narrow-select">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        {columns.map((c) => (
          <option key={c} value={c}>
            {c}
          </option>
        ))}
      </select>
    </div>
  );
}

function PreviewTable({ draft }: { draft: ImportDraft }) {
  const dataset = draft.result?.dataset;
  if (!dataset || dataset.rows.length === 0) return null;
  return (
    <table className="data-table compact" aria-label="First rows to import">
      <thead>
        <tr>
          <th>Text</th>
          <th>Label</th>
        </tr>
      </thead>
      <tbody>
        {dataset.rows.slice(0, PREVIEW_ROWS).map((row, i) => (
          <tr key={i}>
            <td className="text-cell">{row.text}</td>
            <td>{dataset.labelSet[row.label]}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Step two of an import: which columns hold the text and the label, what the rows look like, and what is wrong. */
export function ImportMapping() {
  const draft = useDataStore((s) => s.importDraft)!;
  const labelWords = useDataStore((s) => s.template.labelWords);
  const currentRows = useDataStore((s) => s.rows.length);
  const currentName = useDataStore((s) => s.info.name);
  const { setImportMapping, commitImport, cancelImport } = useDataStore.getState();
  const good = draft.result?.dataset.rows.length ?? 0;
  return (
    <div className="data-card import-mapping" data-testid="import-mapping">
      <h3>
        Import <span className="file-name">{draft.fileName}</span>
      </h3>
      {draft.columns.length > 0 && (
        <div className="inline-form">
          <ColumnSelect id="import-text" label="Text column" value={draft.mapping.text} columns={draft.columns} onChange={(text) => setImportMapping({ mapping: { ...draft.mapping, text } })} />
          <ColumnSelect id="import-label" label="Label column" value={draft.mapping.label} columns={draft.columns} onChange={(label) => setImportMapping({ mapping: { ...draft.mapping, label } })} />
          <fieldset className="classes-choice">
            <legend>Labels are</legend>
            <label>
              <input type="radio" name="import-classes" checked={draft.classes === 'template'} onChange={() => setImportMapping({ classes: 'template' })} />
              the label words ({labelWords.join(', ')}) or class numbers
            </label>
            <label>
              <input type="radio" name="import-classes" checked={draft.classes === 'file'} onChange={() => setImportMapping({ classes: 'file' })} />
              new classes, taken from the file
            </label>
          </fieldset>
        </div>
      )}
      {draft.error && (
        <p role="alert" className="alert">
          {draft.error}
        </p>
      )}
      <PreviewTable draft={draft} />
      {draft.result && <ImportProblems problems={draft.result.problems} />}
      {good > 0 && (
        <>
          <fieldset className="import-mode">
            <legend>The good rows</legend>
            <label>
              <input type="radio" name="import-mode" checked={draft.mode === 'append'} onChange={() => setImportMapping({ mode: 'append' })} />
              add to the current rows
            </label>
            <label>
              <input type="radio" name="import-mode" checked={draft.mode === 'replace'} onChange={() => setImportMapping({ mode: 'replace' })} />
              replace the current rows
            </label>
          </fieldset>
          <p className="import-statement" data-testid="import-statement">
            {importStatement(draft.mode, good, currentRows, currentName)}
            {draft.classes === 'file' && (draft.mode === 'append' ? ' The file’s new labels become new classes.' : ' The file’s labels become the label words.')}
          </p>
        </>
      )}
      <div className="button-row">
        <button type="button" disabled={good === 0} onClick={commitImport}>
          Import {good.toLocaleString()} good {good === 1 ? 'row' : 'rows'}
        </button>
        <button type="button" className="secondary" onClick={cancelImport}>
          Cancel
        </button>
      </div>
    </div>
  );
}
