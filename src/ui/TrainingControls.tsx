import { isActive, useTrainingStore } from '../store/training-store';

/** Start, pause, resume and stop; each takes effect between two training steps. */
export function TrainingControls({ canStart }: { canStart: boolean }) {
  const run = useTrainingStore((s) => s.run);
  const { start, pause, resume, stop } = useTrainingStore.getState();
  const active = isActive(run);

  return (
    <div className="button-row">
      <button type="button" onClick={() => void start()} disabled={!canStart || active}>
        Start training
      </button>
      {run.state === 'paused' ? (
        <button type="button" className="secondary" onClick={() => void resume()}>
          Resume
        </button>
      ) : (
        <button type="button" className="secondary" onClick={() => void pause()} disabled={run.state !== 'running' && run.state !== 'preparing'}>
          Pause
        </button>
      )}
      <button type="button" className="secondary" onClick={() => void stop()} disabled={!active || run.state === 'stopping'}>
        Stop
      </button>
    </div>
  );
}
