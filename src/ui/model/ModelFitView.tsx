import { formatBytes } from '../../engine/pool';
import type { BufferLimits } from '../../model/memory';
import type { ModelSpec } from '../../model/spec';
import { estimateFit, fitVerdict, formatParameters } from './fit';

interface Props {
  readonly id: string;
  readonly spec: ModelSpec;
  /** Null while the GPU is not ready: sizes are shown, the verdict waits. */
  readonly limits: BufferLimits | null;
  /** Where the config came from: the bundled copy of a suggested model, or the Hub. */
  readonly source: 'bundled' | 'hub';
}

/** What a model will need on the GPU, against what this adapter allows, before any weight is downloaded. */
export function ModelFitView({ id, spec, limits, source }: Props) {
  const sizes = estimateFit(spec, limits);
  const fit = sizes.adapter;
  const verdict = fitVerdict(sizes);
  return (
    <div className={`model-fit ${verdict}`} data-testid="model-fit" data-verdict={verdict}>
      <p className="model-fit-verdict" aria-live="polite">
        <strong>{verdict === 'fits' ? `${id} fits this GPU` : verdict === 'too-big' ? `${id} is too big for this GPU` : `${id}`}</strong>
        {verdict === 'unknown' && <span className="muted"> · the GPU's limits are not known yet</span>}
      </p>
      {fit?.tooBig && <p className="model-fit-reason">{fit.tooBig}</p>}
      <dl className="model-fit-numbers">
        <dt>parameters</dt>
        <dd>
          {formatParameters(sizes.parameters)} <span className="muted">({spec.hfArchitecture}, {spec.numLayers} layers × {spec.numHeads} heads)</span>
        </dd>
        <dt>weights on the GPU</dt>
        <dd data-testid="model-fit-weights">{formatBytes(sizes.weightBytes)}</dd>
        <dt>training adds</dt>
        <dd>
          {formatBytes(sizes.trainingStateBytes)} <span className="muted">(W_Q, W_K gradients and Adam moments)</span>
        </dd>
        <dt>to train, in all</dt>
        <dd data-testid="model-fit-total">
          {formatBytes(sizes.weightBytes + sizes.trainingStateBytes)} <span className="muted">+ activations, which grow with prompt length and micro-batch</span>
        </dd>
        <dt>largest tensor</dt>
        <dd data-testid="model-fit-largest">
          {sizes.largest.what} {formatBytes(sizes.largest.bytes)}
          {fit && (
            <span className="muted">
              {' '}
              of {formatBytes(fit.maxBytes)} allowed per buffer ({fit.limitName})
            </span>
          )}
        </dd>
      </dl>
      <p className="muted small">
        WebGPU does not tell a page how much memory the GPU has, only how large one buffer may be; make sure about{' '}
        {formatBytes(sizes.weightBytes + sizes.trainingStateBytes)} are free. {source === 'bundled' ? 'Sizes from the model’s published config.json, bundled with the app.' : 'Sizes from its config.json; no weights were downloaded.'}
      </p>
    </div>
  );
}
