import type { PromptPreview } from '../../train/protocol';
import { PreviewProblems } from './PreviewProblems';
import type { PreviewState } from './use-prompt-preview';

const SIGN_CLASS = { plus: 'label-plus', minus: 'label-minus', neutral: 'label-neutral' } as const;

/** Line breaks in a token are shown as ↵ and still break the line. */
const shown = (text: string) => text.replace(/\n/g, '↵\n');

/** A label word's tokens after its first: ABFT reads the first, these are marked as the rest of the word. */
function restOfLabels(preview: PromptPreview): Map<number, number> {
  const rest = new Map<number, number>();
  for (const l of preview.labelTokens) for (let t = l.position + 1; t < l.position + l.tokens; t++) rest.set(t, l.demonstration);
  return rest;
}

function Tokens({ preview }: { preview: PromptPreview }) {
  const labels = new Map(preview.labelTokens.map((l) => [l.position, l]));
  const rest = restOfLabels(preview);
  return (
    <div className="prompt-text tokens" data-testid="prompt-tokens">
      {preview.tokens.map((token, t) => {
        const label = labels.get(t);
        const restOf = rest.get(t);
        const part = label && label.tokens > 1 ? `first of the label word's ${label.tokens} tokens, the one ABFT reads, ` : '';
        const title =
          `token ${t} · id ${token.id}` +
          (label ? ` · label of demonstration ${label.demonstration + 1} (${part}${label.sign === 'neutral' ? 'query label unknown' : label.sign === 'plus' ? 'I⁺' : 'I⁻'})` : '') +
          (restOf !== undefined ? ` · rest of demonstration ${restOf + 1}'s label word, not read by ABFT` : '');
        const kind = label ? ` ${SIGN_CLASS[label.sign]}` : restOf !== undefined ? ' label-rest' : '';
        return (
          <span key={t} className={`tok${kind}`} data-sign={label?.sign} data-label-rest={restOf !== undefined || undefined} title={title}>
            {shown(token.text)}
          </span>
        );
      })}
    </div>
  );
}

/** The worker's tokenized prompt: every token a span, label tokens coloured, problems listed. */
export function TokenPreview({ state }: { state: PreviewState }) {
  if (state.state === 'waiting') return <p className="muted">Tokenizing…</p>;
  if (state.state === 'failed') return <p className="alert">{state.message}</p>;
  const { preview } = state;
  return (
    <>
      <p className="muted preview-facts" data-testid="prompt-facts">
        {preview.tokens.length} of {preview.maxPositions} positions · {preview.labelTokens.length} label tokens
      </p>
      {preview.tokens.length > 0 && <Tokens preview={preview} />}
      {preview.answers.length > 0 && (
        <p className="muted preview-answers" data-testid="prompt-answers">
          Answer scored by{' '}
          {preview.answers.map((a, c) => (
            <span key={c}>
              {c > 0 && ' · '}
              {a.word} = {a.tokens.map((t) => JSON.stringify(t)).join(' + ')}
            </span>
          ))}
        </p>
      )}
      <PreviewProblems problems={preview.problems} />
    </>
  );
}
