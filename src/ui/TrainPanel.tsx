import { useGpuStore } from '../store/gpu-store';
import { useModelStore } from '../store/model-store';
import { isActive, useTrainingStore } from '../store/training-store';
import { EvaluationView } from './EvaluationView';
import { DeltaNormsView } from './DeltaNormsView';
import { ExportWeightsButton } from './ExportWeightsButton';
import { OnnxExportPanel } from './OnnxExportPanel';
import { TrainingControls } from './TrainingControls';
import { TrainSettingsForm } from './TrainSettingsForm';
import { DataSummary } from './train/DataSummary';
import { LiveCharts } from './train/LiveCharts';
import { RunCompare } from './train/RunCompare';
import { RunHistory } from './train/RunHistory';
import { RunStatus } from './train/RunStatus';
import './train/train.css';

/** Step 3: ABFT (or the end-to-end baseline) on the loaded model, steered and watched from here. */
export function TrainPanel() {
  const ready = useGpuStore((s) => s.status.state === 'ready');
  const model = useModelStore((s) => s.model);
  // Whether a run is active, not its state: the panel's children would all re-render at each change of state.
  const active = useTrainingStore((s) => isActive(s.run));
  const deltaNorms = useTrainingStore((s) => s.deltaNorms);
  const usable = ready && model !== null && model.tokenizer;

  return (
    <section className="panel train-panel" data-testid="train-panel" aria-labelledby="train-panel-title">
      <h2 id="train-panel-title">Train</h2>
      <DataSummary />
      {!usable && <p className="muted">{model && !model.tokenizer ? 'The loaded model has no tokenizer.json, so it cannot be trained on text.' : 'Load a model first.'}</p>}
      <TrainSettingsForm disabled={active} />
      <div className="train-actions">
        <TrainingControls canStart={usable} />
        <p className="muted small">Each run goes on from the weights on the GPU; load the model again to start from its pretrained weights.</p>
      </div>
      <RunStatus />
      <LiveCharts />
      <div className="train-results">
        {deltaNorms.length > 0 && <DeltaNormsView norms={deltaNorms} />}
        <EvaluationView disabled={!usable || active} />
      </div>
      <ExportWeightsButton disabled={!ready || model === null} />
      <OnnxExportPanel disabled={!usable || active} />
      <section className="train-runs" aria-labelledby="train-runs-title">
        <h3 id="train-runs-title">Runs</h3>
        <RunHistory />
        <RunCompare />
      </section>
    </section>
  );
}
