import { useEffect } from 'react';
import { useNavStore } from '../../store/nav-store';
import { STEP_LABELS } from './StepBar';

/** Each step reads as its own page: the title names it, and it opens at its top rather than at the last step's scroll. */
export function useStepPage(): void {
  const step = useNavStore((s) => s.step);
  useEffect(() => {
    document.title = `${STEP_LABELS[step]} · ABFT Studio`;
    window.scrollTo({ top: 0 });
  }, [step]);
}
