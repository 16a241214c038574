import { classroomRecipe } from '../../pretrain/recipe';
import { useGpuStore } from '../../store/gpu-store';
import { useModelStore } from '../../store/model-store';
import { isPretraining, usePretrainStore, type PretrainRunState } from '../../store/pretrain-store';
import { isActive, useTrainingStore } from '../../store/training-store';
import { useNavStore } from '../../store/nav-store';

function statusText(run: PretrainRunState, step: number, target: number, loss: number | undefined): string | null {
  const at = `step ${step.toLocaleString('en-US')} of ${target.toLocaleString('en-US')}${loss === undefined ? '' : `, loss ${loss.toFixed(3)}`}`;
  switch (run.state) {
    case 'idle':
    case 'failed':
      return null;
    case 'starting':
      return 'Making a model with random weights…';
    case 'running':
      return step === 0 ? 'Running the first step (it compiles every shader, so it takes longest)…' : `Pretraining: ${at}.`;
    case 'evaluating':
      return `Measuring the ICL accuracy on ${run.sequences} sequences (${at}); the steps go on after it.`;
    case 'stopping':
      return `Stopping after the step in flight (${at})…`;
    case 'ended':
      if (run.outcome === 'diverged') return `${run.message} The weights of step ${run.stepsDone}, the last good one, are the loaded model now:`;
      return `${run.outcome === 'done' ? 'Done' : 'Stopped'} after ${run.stepsDone.toLocaleString('en-US')} steps. The model as pretrained is the loaded model now:`;
  }
}

/** Start and Stop, what the run is doing, and where to go with the model it made. */
export function PretrainControls() {
  const run = usePretrainStore((s) => s.run);
  const edits = usePretrainStore((s) => s.edits);
  const last = usePretrainStore((s) => s.steps.at(-1));
  const target = usePretrainStore((s) => s.plan?.steps ?? 0);
  const gpuReady = useGpuStore((s) => s.status.state === 'ready');
  const loading = useModelStore((s) => s.load.state === 'loading');
  const loaded = useModelStore((s) => s.model);
  const training = useTrainingStore((s) => isActive(s.run));
  const go = useNavStore((s) => s.go);
  const { start, stop } = usePretrainStore.getState();
  const active = isPretraining(run);
  const valid = classroomRecipe(edits).ok;
  const why = !gpuReady ? 'The GPU is not ready.' : loading ? 'A model is loading.' : training ? 'A training run is going on in the Train step; stop it first.' : null;
  const status = statusText(run, last?.step ?? 0, target, last?.loss);

  return (
    <>
      <div className="button-row pretrain-buttons">
        {active ? (
          <button type="button" className="secondary" onClick={() => void stop()} disabled={run.state === 'stopping'}>
            Stop pretraining
          </button>
        ) : (
          <button type="button" onClick={() => void start()} disabled={!valid || why !== null}>
            Start pretraining
          </button>
        )}
        {!active && loaded && why === null && <span className="muted small">Starting releases the loaded model, {loaded.label}.</span>}
        {!active && why && <span className="muted small">{why}</span>}
      </div>
      {status && (
        <p className="pretrain-status" data-testid="pretrain-status" aria-live="polite">
          {status}
          {run.state === 'ended' && (
            <>
              {' '}
              <button type="button" className="link" onClick={() => go('explore')}>
                explore its heads
              </button>{' '}
              or{' '}
              <button type="button" className="link" onClick={() => go('train')}>
                fine-tune it
              </button>
              .
            </>
          )}
        </p>
      )}
      {run.state === 'failed' && (
        <div role="alert" className="alert" data-testid="pretrain-error">
          <strong>Pretraining stopped with an error:</strong> {run.message}
        </div>
      )}
    </>
  );
}
