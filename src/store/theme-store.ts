import { create } from 'zustand';
import { persist } from 'zustand/middleware';

export type Theme = 'light' | 'dark';

interface ThemeStore {
  /** What the user picked with the toggle; null follows the system's prefers-color-scheme. */
  readonly chosen: Theme | null;
  choose(theme: Theme): void;
}

/** index.html reads this key before the first paint, so a dark-theme user never sees a light flash. */
export const THEME_STORAGE_KEY = 'abft-studio-theme';

export const useThemeStore = create<ThemeStore>()(
  persist((set) => ({ chosen: null, choose: (chosen) => set({ chosen }) }), { name: THEME_STORAGE_KEY, partialize: ({ chosen }) => ({ chosen }) }),
);
