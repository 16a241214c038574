import { useEffect, useSyncExternalStore } from 'react';
import { useThemeStore, type Theme } from '../../store/theme-store';

const DARK_QUERY = '(prefers-color-scheme: dark)';

function subscribe(onChange: () => void): () => void {
  const media = matchMedia(DARK_QUERY);
  media.addEventListener('change', onChange);
  return () => media.removeEventListener('change', onChange);
}

const systemTheme = (): Theme => (matchMedia(DARK_QUERY).matches ? 'dark' : 'light');

/** The theme in effect (the user's pick, else the system's), kept on <html data-theme> where the CSS reads it. */
export function useTheme(): Theme {
  const system = useSyncExternalStore(subscribe, systemTheme);
  const theme = useThemeStore((s) => s.chosen) ?? system;
  useEffect(() => {
    document.documentElement.dataset.theme = theme;
  }, [theme]);
  return theme;
}
