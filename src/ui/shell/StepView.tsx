import { Suspense, type ReactNode } from 'react';
import { STEPS, useNavStore, type Step } from '../../store/nav-store';
import { STEP_LABELS } from './StepBar';

/**
 * One step's panel. Every step stays mounted (hidden when not current), so switching steps keeps
 * whatever a panel holds in local state, such as a half-typed form.
 */
export function StepView({ step, children }: { step: Step; children: ReactNode }) {
  const current = useNavStore((s) => s.step);
  const go = useNavStore((s) => s.go);
  const next = STEPS[STEPS.indexOf(step) + 1];
  return (
    <div className="step-view" hidden={step !== current} data-step={step}>
      <Suspense fallback={<p className="muted">Loading the {STEP_LABELS[step]} step…</p>}>{children}</Suspense>
      {next && (
        <div className="step-footer">
          <button type="button" className="secondary" onClick={() => go(next)}>
            Next: {STEP_LABELS[next]} →
          </button>
        </div>
      )}
    </div>
  );
}
