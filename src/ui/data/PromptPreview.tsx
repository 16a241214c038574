import { useEffect, useMemo, useState } from 'react';
import { useDataStore } from '../../store/data-store';
import { useModelStore } from '../../store/model-store';
import { usePreviewStore } from '../../store/preview-store';
import type { PreviewInput } from '../../train/protocol';
import { CharPreview } from './CharPreview';
import { blockingProblems } from './preview-state';
import { TokenPreview } from './TokenPreview';
import { longestRow, previewRows, usePromptPreview } from './use-prompt-preview';

/** One built prompt, live: tokens from the loaded model's tokenizer (or characters without a model), label tokens marked. */
export function PromptPreview() {
  const rows = useDataStore((s) => s.rows);
  const template = useDataStore((s) => s.template);
  const labelScoring = useDataStore((s) => s.labelScoring);
  const k = useDataStore((s) => s.k);
  const seed = useDataStore((s) => s.seed);
  const model = useModelStore((s) => s.model);
  const [index, setIndex] = useState(0);
  const [typedQuery, setTypedQuery] = useState('');
  const drawn = useMemo(() => previewRows(rows, k, seed, index, typedQuery), [rows, k, seed, index, typedQuery]);
  const longest = useMemo(() => longestRow(rows), [rows]);
  const input = useMemo<PreviewInput | null>(
    () => (typeof drawn === 'string' ? null : { template, labelScoring, ...drawn, longestRow: longest }),
    [drawn, template, labelScoring, longest],
  );
  const tokenized = usePromptPreview(input, model?.tokenizer ? model.label : null);
  const setBlocking = usePreviewStore((s) => s.setBlocking);
  useEffect(() => setBlocking(blockingProblems(drawn, tokenized)), [setBlocking, drawn, tokenized]);

  return (
    <div className="data-card prompt-preview" data-testid="prompt-preview">
      <div className="preview-head">
        <h3>Prompt preview</h3>
        <div className="stepper" role="group" aria-label="Training prompt">
          <button type="button" className="secondary small" aria-label="Previous prompt" disabled={index === 0} onClick={() => setIndex(index - 1)}>
            ‹
          </button>
          <span className="muted">prompt {index + 1}</span>
          <button type="button" className="secondary small" aria-label="Next prompt" onClick={() => setIndex(index + 1)}>
            ›
          </button>
        </div>
      </div>
      <input className="typed-query" aria-label="Query to preview" placeholder="Type a query (its label is then unknown), or leave empty to use the drawn one" value={typedQuery} onChange={(e) => setTypedQuery(e.target.value)} />
      {typeof drawn === 'string' ? (
        <p className="alert">{drawn}</p>
      ) : tokenized ? (
        <TokenPreview state={tokenized} />
      ) : (
        <CharPreview template={template} rows={drawn} />
      )}
      <p className="legend muted">
        <span>
          <span className="tok label-plus">I⁺</span>same label as the query
        </span>
        <span>
          <span className="tok label-minus">I⁻</span>another label
        </span>
        <span>
          <span className="tok label-neutral">?</span>query label unknown
        </span>
        <span>
          <span className="tok label-rest">…</span>rest of a label word (ABFT reads its first token)
        </span>
      </p>
    </div>
  );
}
