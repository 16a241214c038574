import { useTrainingStore } from '../../store/training-store';
import { TrainingMetricsView } from '../TrainingMetricsView';
import { TrainingProgressView } from '../TrainingProgressView';
import { WeightsRestore, WeightsRestoreResult } from './WeightsRestore';

/**
 * The parts that change on every step, apart from the panel: only these re-render per step,
 * not the settings, history or comparison around them.
 */
export function RunStatus() {
  const run = useTrainingStore((s) => s.run);
  const history = useTrainingStore((s) => s.history);
  const target = useTrainingStore((s) => s.targetSteps);
  const autosaveProblem = useTrainingStore((s) => s.autosaveProblem);
  const latest = history.at(-1);
  return (
    <>
      {run.state !== 'idle' && <TrainingProgressView run={run} history={history} target={target} />}
      {run.state === 'failed' && (
        <div role="alert" className="alert" data-testid="training-error">
          <strong>Training stopped with an error:</strong> {run.message}
          {run.restore && <WeightsRestore choices={run.restore} />}
        </div>
      )}
      <WeightsRestoreResult />
      {autosaveProblem && (
        <p role="status" className="muted small" data-testid="autosave-problem">
          The run could not be saved for resuming ({autosaveProblem}); it goes on, but a reload now would lose the steps since its last save.
        </p>
      )}
      {latest && <TrainingMetricsView latest={latest} />}
    </>
  );
}
