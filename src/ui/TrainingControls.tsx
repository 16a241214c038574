import { usePreviewStore } from '../store/preview-store';
import { useNavStore } from '../store/nav-store';
import { isActive, useTrainingStore } from '../store/training-store';

/** Why Start is off while the Data step's prompt preview lists problems that would stop the run. */
function BlockedReason({ problems }: { problems: readonly string[] }) {
  const go = useNavStore((s) => s.go);
  const more = problems.length > 1 ? ` (and ${problems.length - 1} more)` : '';
  return (
    <p className="alert small" data-testid="start-blocked">
      Training cannot start: the Data step’s prompt preview says: {problems[0]}
      {more}{' '}
      <button type="button" className="link" onClick={() => go('data')}>
        Fix it in Data
      </button>
    </p>
  );
}

/** Start, pause, resume and stop; each takes effect between two training steps. */
export function TrainingControls({ canStart }: { canStart: boolean }) {
  const run = useTrainingStore((s) => s.run);
  const blocking = usePreviewStore((s) => s.blocking);
  const { start, pause, resume, stop } = useTrainingStore.getState();
  const active = isActive(run);
  const blocked = canStart && !active && blocking.length > 0;

  return (
    <>
      <div className="button-row">
        <button type="button" onClick={() => void start()} disabled={!canStart || active || blocked}>
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
      {blocked && <BlockedReason problems={blocking} />}
    </>
  );
}
