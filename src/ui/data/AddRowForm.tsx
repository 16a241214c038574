import { useState, type FormEvent } from 'react';
import { useDataStore } from '../../store/data-store';
import { LabelSelect } from './LabelSelect';

/** A new row typed by hand, added at the end of the table. */
export function AddRowForm({ onAdded }: { onAdded: () => void }) {
  const labelWords = useDataStore((s) => s.template.labelWords);
  const addRow = useDataStore((s) => s.addRow);
  const [text, setText] = useState('');
  const [label, setLabel] = useState(0);
  const [test, setTest] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    addRow({ text: text.trim(), label, test });
    setText('');
    onAdded();
  };
  return (
    <form className="add-row" onSubmit={submit}>
      <input aria-label="New row text" placeholder="Type a new row's text…" value={text} onChange={(e) => setText(e.target.value)} />
      <LabelSelect label="New row label" value={label} labelWords={labelWords} onChange={setLabel} />
      <select aria-label="New row set" value={test ? 'test' : 'train'} onChange={(e) => setTest(e.target.value === 'test')}>
        <option value="train">training</option>
        <option value="test">test</option>
      </select>
      <button type="submit" disabled={text.trim() === ''}>
        Add row
      </button>
    </form>
  );
}
