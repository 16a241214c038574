import { useThemeStore } from '../../store/theme-store';
import { useTheme } from './use-theme';

/** Switches between the light and dark themes; the pick is remembered, until then the system's is used. */
export function ThemeToggle() {
  const theme = useTheme();
  const choose = useThemeStore((s) => s.choose);
  const next = theme === 'dark' ? 'light' : 'dark';
  return (
    <button type="button" className="icon-button" onClick={() => choose(next)} aria-label={`Switch to the ${next} theme`} title={`Switch to the ${next} theme`}>
      <span aria-hidden="true">{theme === 'dark' ? '☀' : '☾'}</span>
    </button>
  );
}
