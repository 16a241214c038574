import { LABEL_SCORINGS, type LabelScoring } from '../../abft/label-scoring';
import { useDataStore } from '../../store/data-store';

const SCORING_LABELS: Readonly<Record<LabelScoring, string>> = {
  sequence: 'all of its tokens (log-probability)',
  first: 'its first token (logit)',
  last: 'its last token (logit, as StaICC)',
};

/**
 * One label word per class, beside the class's name; classes can be added or the last one removed.
 * And how a label word is scored as the query's answer, which decides whether words of several
 * tokens can be told apart; the preview shows the tokens each word is scored by.
 */
export function LabelWordsEditor() {
  const words = useDataStore((s) => s.template.labelWords);
  const classNames = useDataStore((s) => s.info.classNames);
  const labelScoring = useDataStore((s) => s.labelScoring);
  const { setLabelWord, addClass, removeClass, setLabelScoring } = useDataStore.getState();
  return (
    <fieldset className="label-words">
      <legend>Label words</legend>
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
      <div className="field label-scoring">
        <label htmlFor="label-scoring">Label scoring</label>
        <select id="label-scoring" value={labelScoring} onChange={(e) => setLabelScoring(e.target.value as LabelScoring)} aria-describedby="label-scoring-note">
          {LABEL_SCORINGS.map((rule) => (
            <option key={rule} value={rule}>
              {SCORING_LABELS[rule]}
            </option>
          ))}
        </select>
        <p id="label-scoring-note" className="muted hint">
          How a label word is scored as the query’s answer, for accuracy and the end-to-end baseline. In the demonstrations ABFT reads each label word at its first token.
        </p>
      </div>
    </fieldset>
  );
}
