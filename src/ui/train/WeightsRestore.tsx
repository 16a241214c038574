import { useTrainingStore, type RestoreChoice } from '../../store/training-store';

/**
 * After a run blew up: the weights on the GPU give a non-finite loss, so the next run would fail on
 * them too. Puts back the weights from before the run that ruined them, or the model's as loaded.
 */
export function WeightsRestore({ choices }: { choices: readonly RestoreChoice[] }) {
  const restoring = useTrainingStore((s) => s.weightsRestore.state === 'running');
  const { restoreWeights } = useTrainingStore.getState();
  return (
    <div className="button-row" data-testid="weights-restore">
      {choices.map(({ which, label }) => (
        <button key={which} type="button" className="secondary" onClick={() => void restoreWeights(which)} disabled={restoring}>
          {label}
        </button>
      ))}
    </div>
  );
}

/** What the last restore did, or why it failed. */
export function WeightsRestoreResult() {
  const restore = useTrainingStore((s) => s.weightsRestore);
  if (restore.state === 'done') {
    return (
      <p role="status" className="muted" data-testid="weights-restored">
        The weights on the GPU are now {restore.restored}. The next run starts from them.
      </p>
    );
  }
  if (restore.state === 'failed') {
    return (
      <div role="alert" className="alert">
        <strong>The weights could not be restored:</strong> {restore.message}
      </div>
    );
  }
  return null;
}
