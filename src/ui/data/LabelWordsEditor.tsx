import { useDataStore } from '../../store/data-store';

/** One label word per class, beside the class's name; classes can be added or the last one removed. */
export function LabelWordsEditor() {
  const words = useDataStore((s) => s.template.labelWords);
  const classNames = useDataStore((s) => s.info.classNames);
  const { setLabelWord, addClass, removeClass } = useDataStore.getState();
  return (
    <fieldset className="label-words">
      <legend>Label words (one token each, ideally)</legend>
      <ol>
        {words.map((word, id) => (
          <li key={id}>
            <span className="class-id" title={`Class ${id}`}>
              {id}
            </span>
            <input aria-label={`Label word for class ${id}`} value={word} onChange={(e) => setLabelWord(id, e.target.value)} spellCheck={false} />
            {classNames[id] !== undefined && classNames[id] !== word && <span className="muted class-name">{classNames[id]}</span>}
          </li>
        ))}
      </ol>
      <div className="button-row tight">
        <button type="button" className="secondary small" onClick={addClass}>
          + Class
        </button>
        <button type="button" className="secondary small" disabled={words.length <= 2} onClick={removeClass}>
          − Last class
        </button>
      </div>
    </fieldset>
  );
}
