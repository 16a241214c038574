import { useEffect, useRef, useState } from 'react';
import { formatBytes } from '../engine/pool';
import type { LoadProgress } from '../train/protocol';
import { formatTimeLeft, RateMeter } from './model/rate';

function stageText(what: string, progress: LoadProgress | null): string {
  if (!progress) return `Opening ${what}…`;
  return progress.stage === 'download' ? `Downloading ${what}: ${progress.file}` : `Copying ${what} to the GPU`;
}

/** "12.0 MiB/s · about 8 s left", from a rate smoothed over the stage so far. */
function useSpeed(progress: LoadProgress | null): string {
  const meter = useRef<{ stage: LoadProgress['stage']; meter: RateMeter } | null>(null);
  if (!progress) return '';
  // A stage has its own rate: the GPU copy runs at another speed than the download.
  if (meter.current?.stage !== progress.stage) meter.current = { stage: progress.stage, meter: new RateMeter() };
  const m = meter.current.meter;
  m.update(progress.bytes, performance.now());
  const rate = m.bytesPerSecond();
  if (rate === null) return progress.total ? 'estimating the time left…' : '';
  const left = progress.total ? m.secondsLeft(progress.total) : null;
  return `${formatBytes(Math.round(rate))}/s${left !== null ? ` · about ${formatTimeLeft(left)} left` : ''}`;
}

/** Re-renders every `ms`: with no bytes coming (a stalled transfer) the speed must still fall and the time left grow. */
function useTick(ms: number): void {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((n) => n + 1), ms);
    return () => clearInterval(timer);
  }, [ms]);
}

/** Where a load is; the stage line is announced, the byte counts (which change often) are not. */
export function LoadProgressView({ what, progress, onCancel }: { what: string; progress: LoadProgress | null; onCancel: () => void }) {
  const total = progress?.total ?? null;
  useTick(1000);
  const speed = useSpeed(progress);
  return (
    <div className="load-progress" data-testid="model-progress">
      <p aria-live="polite">{stageText(what, progress)}</p>
      <div className="progress-row">
        {total !== null && total > 0 ? (
          <progress aria-label="Model loading" max={total} value={progress?.bytes ?? 0} />
        ) : (
          <progress aria-label="Model loading" />
        )}
        <span className="muted" data-testid="model-progress-bytes">
          {progress ? formatBytes(progress.bytes) : ''}
          {total !== null ? ` of ${formatBytes(total)}` : ''}
        </span>
        {speed && (
          <span className="muted" data-testid="model-progress-speed">
            {speed}
          </span>
        )}
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </div>
  );
}
