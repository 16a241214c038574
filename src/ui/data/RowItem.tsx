import { memo, useState } from 'react';
import { useDataStore, type DataRow } from '../../store/data-store';
import { LabelSelect } from './LabelSelect';
import { TextPreview } from './TextPreview';

interface Props {
  readonly index: number;
  readonly row: DataRow;
  readonly labelWords: readonly string[];
  readonly flag: string | null;
}

/**
 * Longer texts are shown, not edited, in the table: a text field lays out all of its text, and one
 * row of megabytes would hold up the page on every render. Ten times the paper's limit still fits.
 */
const EDITABLE_CHARS = 10_000;
/** Lines of a text the field shows before it scrolls. */
const SHOWN_LINES = 5;

const lineCount = (text: string) => (text.match(/\r\n|\r|\n/g)?.length ?? 0) + 1;

/**
 * One row, edited in place: the text, with its line breaks, is saved on Enter or when the field
 * loses focus; Shift+Enter starts a new line; Escape undoes.
 */
export const RowItem = memo(function RowItem({ index, row, labelWords, flag }: Props) {
  const { updateRow, deleteRow } = useDataStore.getState();
  const [text, setText] = useState(row.text);
  const commit = () => {
    if (text !== row.text) updateRow(index, { text });
  };
  return (
    <tr className={flag ? 'flagged' : undefined} data-testid="data-row">
      <td className="num muted">{index + 1}</td>
      <td className="text-cell">
        {row.text.length <= EDITABLE_CHARS ? (
          <textarea
            className="cell"
            rows={Math.min(lineCount(text), SHOWN_LINES)}
            wrap="off"
            aria-label={`Text of row ${index + 1}`}
            value={text}
            onChange={(e) => setText(e.target.value)}
            onBlur={commit}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && !e.shiftKey) {
                e.preventDefault();
                commit();
              }
              if (e.key === 'Escape') setText(row.text);
            }}
          />
        ) : (
          <p className="cell long-text" aria-label={`Text of row ${index + 1}`}>
            <TextPreview text={row.text} /> Too long to edit here: shorten it in the file and import it again, or remove the row.
          </p>
        )}
        {flag && (
          <p className="row-flag" role="note">
            {flag}
          </p>
        )}
      </td>
      <td>
        <LabelSelect className="cell" label={`Label of row ${index + 1}`} value={row.label} labelWords={labelWords} onChange={(label) => updateRow(index, { label })} />
      </td>
      <td>
        <select aria-label={`Set of row ${index + 1}`} value={row.test ? 'test' : 'train'} onChange={(e) => updateRow(index, { test: e.target.value === 'test' })} className={`cell ${row.test ? 'set-test' : 'set-train'}`}>
          <option value="train">training</option>
          <option value="test">test</option>
        </select>
      </td>
      <td>
        <button type="button" className="icon" aria-label={`Delete row ${index + 1}`} title="Delete row" onClick={() => deleteRow(index)}>
          ✕
        </button>
      </td>
    </tr>
  );
});
