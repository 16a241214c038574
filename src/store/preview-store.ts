import { create } from 'zustand';

/**
 * What the Data step's prompt preview found that will stop training, as it last showed it: the
 * Train step's Start button stays off while there is any, naming the first.
 */
interface PreviewStore {
  readonly blocking: readonly string[];
  setBlocking(blocking: readonly string[]): void;
}

export const usePreviewStore = create<PreviewStore>((set, get) => ({
  blocking: [],
  setBlocking: (blocking) => {
    const same = blocking.length === get().blocking.length && blocking.every((p, i) => p === get().blocking[i]);
    if (!same) set({ blocking });
  },
}));
