import { useRef, type KeyboardEvent } from 'react';
import { useDataStore } from '../../store/data-store';
import { useModelStore } from '../../store/model-store';
import { STEPS, useNavStore, type Step } from '../../store/nav-store';
import { isActive, useTrainingStore } from '../../store/training-store';

export const STEP_LABELS: Readonly<Record<Step, string>> = { model: 'Model', data: 'Data', train: 'Train', explore: 'Explore' };

type Progress = 'todo' | 'done' | 'busy';

/** What a step's dot shows: done once its work exists, busy while the worker is on it. */
function useProgress(): Readonly<Record<Step, Progress>> {
  const model = useModelStore((s) => (s.load.state === 'loading' ? 'busy' : s.model ? 'done' : 'todo'));
  const data = useDataStore((s) => (s.presetLoad.state === 'loading' ? 'busy' : s.rows.length > 0 ? 'done' : 'todo'));
  const train = useTrainingStore((s) => (isActive(s.run) ? 'busy' : s.history.length > 0 ? 'done' : 'todo'));
  return { model, data, train, explore: 'todo' };
}

const PROGRESS_TEXT: Readonly<Record<Progress, string>> = { todo: '', done: ' (done)', busy: ' (working…)' };

/** Model → Data → Train → Explore; Tab reaches each step, arrow keys, Home and End move between them. */
export function StepBar() {
  const current = useNavStore((s) => s.step);
  const go = useNavStore((s) => s.go);
  const progress = useProgress();
  const buttons = useRef<(HTMLButtonElement | null)[]>([]);

  const onKeyDown = (event: KeyboardEvent, index: number) => {
    const moves: Record<string, number> = { ArrowRight: index + 1, ArrowDown: index + 1, ArrowLeft: index - 1, ArrowUp: index - 1, Home: 0, End: STEPS.length - 1 };
    const target = moves[event.key];
    if (target === undefined) return;
    event.preventDefault();
    const next = (target + STEPS.length) % STEPS.length;
    go(STEPS[next]);
    buttons.current[next]?.focus();
  };

  return (
    <nav aria-label="Steps" className="step-bar">
      <ol>
        {STEPS.map((step, i) => (
          <li key={step}>
            <button
              ref={(el) => {
                buttons.current[i] = el;
              }}
              type="button"
              aria-current={step === current ? 'step' : undefined}
              title={`Step ${i + 1}: ${STEP_LABELS[step]}${PROGRESS_TEXT[progress[step]]}`}
              onClick={() => go(step)}
              onKeyDown={(e) => onKeyDown(e, i)}
            >
              <span className="step-index" data-progress={progress[step]} aria-hidden="true">
                {progress[step] === 'done' ? '✓' : i + 1}
              </span>
              {STEP_LABELS[step]}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
