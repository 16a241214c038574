import { useTrainingStore } from '../../store/training-store';
import { TrainingMetricsView } from '../TrainingMetricsView';
import { TrainingProgressView } from '../TrainingProgressView';

/**
 * The parts that change on every step, apart from the panel: only these re-render per step,
 * not the settings, history or comparison around them.
 */
export function RunStatus() {
  const run = useTrainingStore((s) => s.run);
  const history = useTrainingStore((s) => s.history);
  const target = useTrainingStore((s) => s.targetSteps);
  const latest = history.at(-1);
  return (
    <>
      {run.state !== 'idle' && <TrainingProgressView run={run} history={history} target={target} />}
      {run.state === 'failed' && (
        <div role="alert" className="alert" data-testid="training-error">
          <strong>Training stopped with an error:</strong> {run.message}
        </div>
      )}
      {latest && <TrainingMetricsView latest={latest} />}
    </>
  );
}
