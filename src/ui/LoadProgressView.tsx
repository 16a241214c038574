import { formatBytes } from '../engine/pool';
import type { LoadProgress } from '../train/protocol';

function stageText(what: string, progress: LoadProgress | null): string {
  if (!progress) return `Opening ${what}…`;
  return progress.stage === 'download' ? `Downloading ${what}: ${progress.file}` : `Copying ${what} to the GPU`;
}

/** Where a load is; the stage line is announced, the byte counts (which change often) are not. */
export function LoadProgressView({ what, progress, onCancel }: { what: string; progress: LoadProgress | null; onCancel: () => void }) {
  const total = progress?.total ?? null;
  return (
    <div className="load-progress" data-testid="model-progress">
      <p aria-live="polite">{stageText(what, progress)}</p>
      <div className="progress-row">
        {total !== null && total > 0 ? (
          <progress aria-label="Model loading" max={total} value={progress?.bytes ?? 0} />
        ) : (
          <progress aria-label="Model loading" />
        )}
        <span className="muted">
          {progress ? formatBytes(progress.bytes) : ''}
          {total !== null ? ` of ${formatBytes(total)}` : ''}
        </span>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
