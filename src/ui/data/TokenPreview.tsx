import type { PromptPreview } from '../../train/protocol';
import { PreviewProblems } from './PreviewProblems';
import type { PreviewState } from './preview-state';

const SIGN_CLASS = { plus: 'label-plus', minus: 'label-minus', neutral: 'label-neutral' } as const;

/** Line breaks in a token are shown as ↵ and still break the line. */
const shown = (text: string) => text.replace(/\n/g, '↵\n');

const count = (n: number) => n.toLocaleString('en');

/** A label word's tokens after its first: ABFT reads the first, these are marked as the rest of the word. */
function restOfLabels(preview: PromptPreview): Map<number, number> {
  const rest = new Map<number, number>();
  for (const l of preview.labelTokens) for (let t = l.position + 1; t < l.position + l.tokens; t++) rest.set(t, l.demonstration);
  return rest;
}

function Tokens({ preview }: { preview: PromptPreview }) {
  const labels = new Map(preview.labelTokens.map((l) => [l.position, l]));
  const rest = restOfLabels(preview);
  const hidden = (preview.tokenCount ?? 0) - preview.tokens.length;
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
      {hidden > 0 && (
        <span className="muted" data-testid="prompt-tokens-hidden">
          {' '}
          … {count(hidden)} more tokens not shown
        </span>
      )}
    </div>
  );
}

function facts(preview: PromptPreview): string {
  if (preview.tokenCount === null) return `${count(preview.characters)} characters, too long to tokenize for ${count(preview.maxPositions)} positions`;
  return `${count(preview.tokenCount)} of ${count(preview.maxPositions)} positions · ${preview.labelTokens.length} label tokens`;
}

/** The worker's tokenized prompt: its first tokens as spans, label tokens coloured, problems listed; an answer for earlier data is marked as such. */
export function TokenPreview({ state }: { state: PreviewState }) {
  if (state.state === 'waiting') return <p className="muted">Tokenizing…</p>;
  const updating = state.stale && (
    <p className="muted preview-updating" data-testid="prompt-updating" role="status">
      Updating… (below: the preview of the data before your change)
    </p>
  );
  if (state.state === 'failed') {
    return (
      <>
        {updating}
        <p className={`alert${state.stale ? ' stale' : ''}`}>{state.message}</p>
      </>
    );
  }
  const { preview } = state;
  return (
    <>
      {updating}
      <div className={state.stale ? 'stale' : undefined} data-testid="prompt-result" data-stale={state.stale} aria-busy={state.stale}>
        <p className="muted preview-facts" data-testid="prompt-facts">
          {facts(preview)}
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
      </div>
    </>
  );
}
