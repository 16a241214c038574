import type { RunState } from '../store/training-store';
import { MEASURE_LABELS } from './evaluation-measures';
import type { StepMetrics } from '../train/trainer';

const STATE_TEXT: Readonly<Record<Exclude<RunState['state'], 'measuring'>, string>> = {
  idle: 'Not started',
  preparing: 'Preparing the prompts…',
  running: 'Training',
  pausing: 'Pausing after the current step…',
  paused: 'Paused',
  stopping: 'Stopping after the current step…',
  done: 'Done',
  stopped: 'Stopped',
  failed: 'Failed',
  resuming: 'Resuming the interrupted run…',
};

function stateText(run: RunState): string {
  if (run.state === 'measuring') {
    const when = run.when === 'before' ? 'before training' : 'after training';
    if (!run.progress) return `Evaluating ${when}…`;
    const { measure, done, total } = run.progress;
    return `Evaluating ${when}: ${MEASURE_LABELS[measure].toLowerCase()}, ${done}/${total} prompts…`;
  }
  return STATE_TEXT[run.state];
}

function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  return s < 60 ? `${s} s` : `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** Remaining steps at the mean step time so far. */
function eta(history: readonly StepMetrics[], target: number): string {
  if (history.length === 0) return '–';
  const mean = history.reduce((sum, m) => sum + m.ms, 0) / history.length;
  return formatDuration(mean * Math.max(0, target - history[history.length - 1].step));
}

/** Where the run is: its state (announced), step x / N, the time left and the speed. */
export function TrainingProgressView({ run, history, target }: { run: RunState; history: readonly StepMetrics[]; target: number }) {
  const latest = history.at(-1);
  const step = latest?.step ?? 0;
  return (
    <div className="load-progress" data-testid="training-progress" data-state={run.state}>
      <p aria-live="polite">{stateText(run)}</p>
      <div className="progress-row">
        <progress aria-label="Training progress" max={Math.max(target, 1)} value={step} />
        <span data-testid="training-step">
          step {step}/{target}
        </span>
        <span className="muted">ETA {eta(history, target)}</span>
        <span className="muted" data-testid="training-speed">
          {latest ? `${Math.round(latest.tokensPerSecond).toLocaleString('en')} tokens/s` : ''}
        </span>
      </div>
    </div>
  );
}
