import { create } from 'zustand';

/** The app's steps, in the order a user goes through them. */
export const STEPS = ['model', 'data', 'train', 'explore'] as const;
export type Step = (typeof STEPS)[number];

/** A head the user picked somewhere (the Train panel's layer × head grid) to look at in the explorer. */
export interface HeadFocus {
  readonly layer: number;
  readonly head: number;
}

interface NavStore {
  readonly step: Step;
  readonly focus: HeadFocus | null;
  go(step: Step): void;
  /** Opens the explorer on one head. */
  openHead(focus: HeadFocus): void;
}

export const useNavStore = create<NavStore>((set) => ({
  step: 'model',
  focus: null,
  go: (step) => set({ step }),
  openHead: (focus) => set({ step: 'explore', focus }),
}));
