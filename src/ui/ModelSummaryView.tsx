import { formatBytes } from '../engine/pool';
import type { ModelSummary } from '../train/protocol';

function formatCount(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)}M`;
  return n.toLocaleString('en');
}

/** The model on the GPU, in the numbers that decide what ABFT trains and what it costs. */
export function ModelSummaryView({ model }: { model: ModelSummary }) {
  return (
    <div className="model-summary" data-testid="model-summary">
      <h3>{model.label}</h3>
      <dl>
        <dt>architecture</dt>
        <dd data-testid="model-architecture">{model.hfArchitecture}</dd>
        <dt>layers</dt>
        <dd data-testid="model-layers">{model.layers}</dd>
        <dt>heads / kv heads</dt>
        <dd data-testid="model-heads">
          {model.heads} / {model.kvHeads}
        </dd>
        <dt>hidden size</dt>
        <dd>{model.hidden}</dd>
        <dt>vocabulary</dt>
        <dd>{model.vocab.toLocaleString('en')}</dd>
        <dt>parameters</dt>
        <dd>{formatCount(model.parameters)}</dd>
        <dt>GPU memory</dt>
        <dd data-testid="model-gpu-memory">
          {formatBytes(model.gpuBytes)} (frozen weights in {model.frozenDType})
        </dd>
        <dt>tokenizer</dt>
        <dd>{model.tokenizer ? 'tokenizer.json' : 'none: prompts cannot be tokenized until the folder has a tokenizer.json'}</dd>
      </dl>
      {model.warnings.length > 0 && (
        <ul className="warnings" aria-label="Warnings">
          {model.warnings.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
