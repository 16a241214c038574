/** The part of zustand's persist API that says whether a store has read its saved state yet. */
interface Hydrating {
  /** Absent where the store has no storage to read (zustand leaves it out when there is no localStorage). */
  readonly persist?: { hasHydrated(): boolean; onFinishHydration(fn: () => void): () => void };
}

/** Runs `fn` once `store` has read its saved state: at once if it has (or has nothing to read), else when it finishes. */
export function whenHydrated(store: Hydrating, fn: () => void): void {
  const { persist } = store;
  if (!persist || persist.hasHydrated()) return fn();
  const unsubscribe = persist.onFinishHydration(() => {
    unsubscribe();
    fn();
  });
}
