import { SYNTHETIC_NOTE } from '../data/synthetic';
import { useGpuStore } from '../store/gpu-store';
import { useModelStore } from '../store/model-store';
import { isActive, useTrainingStore } from '../store/training-store';
import { AccuracyView } from './AccuracyView';
import { DeltaNormsView } from './DeltaNormsView';
import { ExportWeightsButton } from './ExportWeightsButton';
import { TrainingControls } from './TrainingControls';
import { TrainingMetricsView } from './TrainingMetricsView';
import { TrainingProgressView } from './TrainingProgressView';
import { TrainSettingsForm } from './TrainSettingsForm';

/** Step 3: ABFT (or the end-to-end baseline) on the loaded model, steered and watched from here. */
export function TrainPanel() {
  const ready = useGpuStore((s) => s.status.state === 'ready');
  const model = useModelStore((s) => s.model);
  const run = useTrainingStore((s) => s.run);
  const history = useTrainingStore((s) => s.history);
  const deltaNorms = useTrainingStore((s) => s.deltaNorms);
  const target = useTrainingStore((s) => s.targetSteps);
  const active = isActive(run);
  const usable = ready && model !== null && model.tokenizer;
  const latest = history.at(-1);

  return (
    <section className="panel" data-testid="train-panel" aria-labelledby="train-panel-title">
      <h2 id="train-panel-title">Train</h2>
      <p className="note" data-testid="synthetic-note">
        <strong>Synthetic data:</strong> {SYNTHETIC_NOTE} Your own datasets arrive with the Data panel.
      </p>
      {!usable && <p className="muted">{model && !model.tokenizer ? 'The loaded model has no tokenizer.json, so it cannot be trained on text.' : 'Load a model first.'}</p>}
      <p className="muted">Training changes the weights on the GPU; each run goes on from them. Load the model again to start from its pretrained weights.</p>
      <TrainSettingsForm disabled={active} />
      <TrainingControls canStart={usable} />
      {run.state !== 'idle' && <TrainingProgressView run={run} history={history} target={target} />}
      {run.state === 'failed' && (
        <div role="alert" className="alert" data-testid="training-error">
          <strong>Training stopped with an error:</strong> {run.message}
        </div>
      )}
      {latest && <TrainingMetricsView latest={latest} />}
      {deltaNorms.length > 0 && <DeltaNormsView norms={deltaNorms} />}
      <AccuracyView disabled={!usable} />
      <ExportWeightsButton disabled={!ready || model === null} />
    </section>
  );
}
