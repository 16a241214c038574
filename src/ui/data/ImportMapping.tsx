import { ENCODING_NAMES } from '../../data/decode';
import { DELIMITER_NAMES, DELIMITERS, type Delimiter } from '../../data/delimiter';
import { READ_AS_LATIN1, type ImportReading } from '../../data/import-reading';
import { plural } from '../../data/plural';
import { useDataStore } from '../../store/data-store';
import { importStatement } from '../../store/import-apply';
import { ImportProblems } from './ImportProblems';
import { TextPreview } from './TextPreview';

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

const DELIMITER_SIGNS: Readonly<Record<Delimiter, string>> = { ',': ' (,)', ';': ' (;)', '\t': '', '|': ' (|)' };

/** The delimiter the file is read with, the detected one marked, so a wrong guess is one pick away. */
function DelimiterSelect({ reading, onChange }: { reading: ImportReading; onChange: (d: Delimiter) => void }) {
  return (
    <div className="field narrow-select">
      <label htmlFor="import-delimiter">Column separator</label>
      <select id="import-delimiter" value={reading.delimiter ?? ''} onChange={(e) => onChange(e.target.value as Delimiter)}>
        {DELIMITERS.map((d) => (
          <option key={d} value={d}>
            {DELIMITER_NAMES[d]}
            {DELIMITER_SIGNS[d]}
            {d === reading.detectedDelimiter ? ', detected' : ''}
          </option>
        ))}
      </select>
    </div>
  );
}

function PreviewTable({ reading }: { reading: ImportReading }) {
  const dataset = reading.result?.dataset;
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
            <td className="text-cell">
              <TextPreview text={row.text} />
            </td>
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
  const { reading } = draft;
  const good = reading?.result?.dataset.rows.length ?? 0;
  return (
    <div className="data-card import-mapping" data-testid="import-mapping" aria-busy={draft.pending}>
      <h3>
        Import <span className="file-name">{draft.fileName}</span>
        {draft.pending && (
          <span className="muted reading" role="status">
            {' '}
            reading…
          </span>
        )}
      </h3>
      {reading && reading.columns.length > 0 && (
        <div className="inline-form">
          {reading.delimiter !== null && <DelimiterSelect reading={reading} onChange={(delimiter) => void setImportMapping({ delimiter })} />}
          <ColumnSelect id="import-text" label="Text column" value={reading.mapping.text} columns={reading.columns} onChange={(text) => void setImportMapping({ mapping: { ...reading.mapping, text } })} />
          <ColumnSelect id="import-label" label="Label column" value={reading.mapping.label} columns={reading.columns} onChange={(label) => void setImportMapping({ mapping: { ...reading.mapping, label } })} />
          <fieldset className="classes-choice">
            <legend>Labels are</legend>
            <label>
              <input type="radio" name="import-classes" checked={draft.classes === 'template'} onChange={() => void setImportMapping({ classes: 'template' })} />
              the label words ({labelWords.join(', ')}) or class numbers
            </label>
            <label>
              <input type="radio" name="import-classes" checked={draft.classes === 'file'} onChange={() => void setImportMapping({ classes: 'file' })} />
              new classes, taken from the file
            </label>
          </fieldset>
        </div>
      )}
      {draft.encoding !== 'utf-8' && reading && !reading.undecodable && <p className="muted">Read as {ENCODING_NAMES[draft.encoding]}.</p>}
      {reading?.error && (
        <div role="alert" className="alert">
          <p>{reading.error}</p>
          {reading.undecodable && draft.encoding === 'utf-8' && (
            <button type="button" onClick={() => void setImportMapping({ encoding: 'windows-1252' })}>
              {READ_AS_LATIN1}
            </button>
          )}
        </div>
      )}
      {reading && <PreviewTable reading={reading} />}
      {reading?.result && <ImportProblems problems={reading.result.problems} />}
      {good > 0 && (
        <>
          <fieldset className="import-mode">
            <legend>The good rows</legend>
            <label>
              <input type="radio" name="import-mode" checked={draft.mode === 'append'} onChange={() => void setImportMapping({ mode: 'append' })} />
              add to the current rows
            </label>
            <label>
              <input type="radio" name="import-mode" checked={draft.mode === 'replace'} onChange={() => void setImportMapping({ mode: 'replace' })} />
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
        <button type="button" disabled={good === 0 || draft.pending} onClick={commitImport}>
          Import {plural(good, 'good row')}
        </button>
        <button type="button" className="secondary" onClick={cancelImport}>
          Cancel
        </button>
      </div>
    </div>
  );
}
