import type { PromptPreview } from '../../train/protocol';
import { PreviewProblems } from './PreviewProblems';
import type { PreviewState } from './preview-state';

const SIGN_CLASS = { plus: 'label-plus', minus: 'label-minus', neutral: 'label-neutral' } as const;

/** Line breaks in a token are shown as ↵ and still break the line. */
const shown = (text: string) => text.replace(/\n/g, '↵\n');

const count = (n: number) => n.toLocaleString('en');

function Tokens({ preview }: { preview: PromptPreview }) {
  const labels = new Map(preview.labelTokens.map((l) => [l.position, l]));
  const hidden = (preview.tokenCount ?? 0) - preview.tokens.length;
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
        <PreviewProblems problems={preview.problems} />
      </div>
    </>
  );
}
