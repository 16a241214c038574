import { memo, useState } from 'react';
import { useDataStore, type DataRow } from '../../store/data-store';
import { LabelSelect } from './LabelSelect';

interface Props {
  readonly index: number;
  readonly row: DataRow;
  readonly labelWords: readonly string[];
  readonly flag: string | null;
}

/** One row, edited in place: the text is saved on Enter or when the field loses focus; Escape undoes. */
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
        <input
          className="cell"
          aria-label={`Text of row ${index + 1}`}
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commit();
            if (e.key === 'Escape') setText(row.text);
          }}
        />
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
