import type { ReactNode } from 'react';
import { buildPrompt, type PromptTemplate } from '../../abft/prompts';
import type { PreviewInput } from '../../train/protocol';
import { PreviewProblems } from './PreviewProblems';

/** Characters of the prompt drawn: several screens of the preview box, and a 5 MB row still lays out in a frame. */
const SHOWN_CHARS = 20_000;

/** The prompt without a model: its text with the label words marked; tokens need the model's tokenizer. */
export function CharPreview({ template, rows }: { template: PromptTemplate; rows: Pick<PreviewInput, 'demonstrations' | 'query'> }) {
  const queryLabel = rows.query.label;
  let built;
  try {
    built = buildPrompt(template, rows.demonstrations, { text: rows.query.text, label: queryLabel ?? 0 });
  } catch (error) {
    return <PreviewProblems problems={[{ message: (error as Error).message, blocking: true }]} />;
  }
  const end = Math.min(built.text.length, SHOWN_CHARS);
  const parts: ReactNode[] = [];
  let at = 0;
  built.labelRanges.forEach(([start, stop], i) => {
    if (start >= end) return;
    const sign = queryLabel === null ? 'neutral' : built.demonstrationLabels[i] === queryLabel ? 'plus' : 'minus';
    parts.push(<span key={`t${i}`}>{built.text.slice(at, start)}</span>, <span key={`l${i}`} className={`tok label-${sign}`}>{built.text.slice(start, stop)}</span>);
    at = stop;
  });
  if (at < end) parts.push(<span key="rest">{built.text.slice(at, end)}</span>);
  const hidden = built.text.length - Math.max(at, end);
  return (
    <>
      <p className="muted preview-facts">Load a model in step 1 to see its tokens and the tokens each label word is scored by.</p>
      <div className="prompt-text">
        {parts}
        {hidden > 0 && <span className="muted"> … {hidden.toLocaleString('en')} more characters not shown</span>}
      </div>
    </>
  );
}
