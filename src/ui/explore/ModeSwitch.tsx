import { useExploreStore, type ExploreMode } from '../../store/explore-store';

const MODES: readonly { readonly mode: ExploreMode; readonly name: string; readonly hint: string }[] = [
  { mode: 'trained', name: 'Fine-tuned', hint: 'W_Q and W_K as trained now' },
  { mode: 'base', name: 'Base', hint: 'W_Q and W_K as loaded, before the first training step' },
  { mode: 'difference', name: 'Difference', hint: 'Fine-tuned − base: where training moved attention' },
  { mode: 'compare', name: 'Side by side', hint: 'Base and fine-tuned next to each other' },
];

export function ModeSwitch() {
  const mode = useExploreStore((s) => s.mode);
  const setMode = useExploreStore((s) => s.setMode);
  return (
    <div className="ex-modes" role="group" aria-label="Weights to show">
      {MODES.map((m) => (
        <button key={m.mode} type="button" className="ex-mode" aria-pressed={mode === m.mode} title={m.hint} onClick={() => setMode(m.mode)}>
          {m.name}
        </button>
      ))}
    </div>
  );
}
