import { useState } from 'react';
import { useDataStore } from '../../store/data-store';
import { useExploreStore } from '../../store/explore-store';
import { useTrainingStore } from '../../store/training-store';
import { composePrompt } from './compose';

/** Fills the text with the next prompt built from the Data step's rows and template, and marks its label words. */
function DataPromptButton() {
  const [draw, setDraw] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const compose = () => {
    const { rows, template, k } = useDataStore.getState();
    try {
      const text = composePrompt(rows.filter((r) => !r.test), rows.filter((r) => r.test), template, k, draw);
      useExploreStore.setState({ text, labelWords: template.labelWords.join(', ') });
      setDraw(draw + 1);
      setError(null);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return (
    <>
      <button type="button" className="secondary" onClick={compose}>
        {draw === 0 ? 'Compose from your data' : 'Another from your data'}
      </button>
      {error && <span className="error-text">{error}</span>}
    </>
  );
}

/** The prompt to explore: typed text, or one of the training session's prompts (with its label positions). */
export function PromptPicker({ disabled }: { readonly disabled: boolean }) {
  const { source, text, promptIndex, labelWords, setSource, setText, setPromptIndex, setLabelWords, explore } = useExploreStore();
  const trained = useTrainingStore((s) => s.history.length > 0);
  return (
    <form
      className="ex-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        explore();
      }}
    >
      <div className="ex-segmented" role="radiogroup" aria-label="Prompt source">
        <label>
          <input type="radio" name="ex-source" checked={source === 'text'} onChange={() => setSource('text')} /> Typed text
        </label>
        <label title={trained ? undefined : 'Train first: the prompts of the training session can then be explored.'}>
          <input type="radio" name="ex-source" checked={source === 'prompt'} disabled={!trained} onChange={() => setSource('prompt')} /> Training prompt
        </label>
      </div>
      {source === 'text' ? (
        <div className="ex-prompt-text">
          <label className="visually-hidden" htmlFor="ex-text">
            Prompt to explore
          </label>
          <textarea
            id="ex-text"
            value={text}
            rows={5}
            spellCheck={false}
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) explore();
            }}
          />
          <div className="field">
            <label htmlFor="ex-label-words">Label words to mark (comma-separated)</label>
            <input id="ex-label-words" value={labelWords} onChange={(e) => setLabelWords(e.target.value)} />
          </div>
        </div>
      ) : (
        <div className="field narrow">
          <label htmlFor="ex-prompt-index">Training prompt number</label>
          <input id="ex-prompt-index" type="number" min={0} step={1} value={promptIndex} onChange={(e) => setPromptIndex(Math.max(0, Math.floor(Number(e.target.value))))} />
        </div>
      )}
      <div className="ex-prompt-actions">
        <button type="submit" disabled={disabled}>
          Show attention
        </button>
        {source === 'text' && <DataPromptButton />}
        <span className="muted">Ctrl + Enter in the text does the same.</span>
      </div>
    </form>
  );
}
