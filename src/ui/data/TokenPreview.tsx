import type { PromptPreview } from '../../train/protocol';
import { PreviewProblems } from './PreviewProblems';
import type { PreviewState } from './use-prompt-preview';

const SIGN_CLASS = { plus: 'label-plus', minus: 'label-minus', neutral: 'label-neutral' } as const;

/** Line breaks in a token are shown as ↵ and still break the line. */
const shown = (text: string) => text.replace(/\n/g, '↵\n');

function Tokens({ preview }: { preview: PromptPreview }) {
  const labels = new Map(preview.labelTokens.map((l) => [l.position, l]));
  return (
    <div className="prompt-text tokens" data-testid="prompt-tokens">
      {preview.tokens.map((token, t) => {
        const label = labels.get(t);
        const title = `token ${t} · id ${token.id}${label ? ` · label of demonstration ${label.demonstration + 1} (${label.sign === 'neutral' ? 'query label unknown' : label.sign === 'plus' ? 'I⁺' : 'I⁻'})` : ''}`;
        return (
          <span key={t} className={`tok${label ? ` ${SIGN_CLASS[label.sign]}` : ''}`} data-sign={label?.sign} title={title}>
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
      <PreviewProblems problems={preview.problems} />
    </>
  );
}
