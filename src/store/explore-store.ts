/**
 * The attention explorer: the prompt being looked at, how it is shown, and the maps fetched for
 * it from the worker on demand: the last row of every layer and head for the thumbnails (small),
 * and the full token × token map of one head only when it is opened. Maps are kept per weights
 * ('trained', 'base') and fetched again when training or a model load changes the weights.
 */
import { create } from 'zustand';
import { syntheticPrompt } from '../data/synthetic';
import type { AttentionInput, AttentionResult, AttentionWeights } from '../train/protocol';
import { useModelStore } from './model-store';
import type { HeadFocus } from './nav-store';
import { trainerClient } from './trainer-client';
import { useTrainingStore } from './training-store';

/** 'compare' puts base and fine-tuned side by side; 'difference' shows fine-tuned − base. */
export type ExploreMode = 'trained' | 'base' | 'difference' | 'compare';

/** Maps of one prompt for the weights fetched so far. */
export interface Fetched {
  /** Identifies the prompt, the slice and the weights version they were computed for. */
  readonly key: string;
  readonly tokens: readonly string[];
  readonly labels: AttentionResult['labels'];
  readonly maps: Partial<Record<AttentionWeights, readonly Float32Array[]>>;
  readonly loading: boolean;
  readonly error: string | null;
  /** Milliseconds from request to reply of the last fetch, shown so users see what a long prompt costs. */
  readonly ms: number | null;
}

export interface OpenHead extends Fetched {
  readonly layer: number;
  readonly head: number;
}

const DEFAULT_TEXT = [
  'review: a gorgeous , moving film . sentiment: positive',
  'review: dull and far too long . sentiment: negative',
  'review: the cast is wonderful . sentiment: positive',
  'review: a tired , lifeless script . sentiment: negative',
  'review: an honest and warm story . sentiment: ',
].join('\n');

interface ExploreStore {
  readonly source: 'text' | 'prompt';
  readonly text: string;
  readonly promptIndex: number;
  /** Comma-separated words marked as labels in typed text (training prompts carry their own positions). */
  readonly labelWords: string;
  readonly mode: ExploreMode;
  /** The prompt whose maps are shown; null until the user asks. */
  readonly shown: AttentionInput | null;
  /** Bumped whenever the weights on the GPU may have changed. */
  readonly weightsVersion: number;
  readonly overview: Fetched | null;
  readonly head: OpenHead | null;
  setSource(source: 'text' | 'prompt'): void;
  setText(text: string): void;
  setPromptIndex(index: number): void;
  setLabelWords(words: string): void;
  setMode(mode: ExploreMode): void;
  /** Shows the prompt as typed or picked now. */
  explore(): void;
  /** Fetches what the view needs that is not there yet: thumbnails, and the focused head's map. */
  sync(focus: HeadFocus | null): void;
}

export function weightsNeeded(mode: ExploreMode): AttentionWeights[] {
  if (mode === 'trained') return ['trained'];
  if (mode === 'base') return ['base'];
  return ['trained', 'base'];
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const useExploreStore = create<ExploreStore>((set, get) => {
  /** Fetches the missing weights of one slice, merging replies only while the slice is still the one wanted. */
  async function fetchInto<K extends 'overview' | 'head'>(
    which: K,
    entry: NonNullable<ExploreStore[K]>,
    request: { readonly input: AttentionInput; readonly rows: 'last' | 'all'; readonly layers?: number[]; readonly heads?: number[] },
  ): Promise<void> {
    const missing = weightsNeeded(get().mode).filter((w) => !entry.maps[w]);
    if (missing.length === 0 || entry.loading) return;
    set({ [which]: { ...entry, loading: true, error: null } } as Partial<ExploreStore>);
    const started = performance.now();
    try {
      const replies = await Promise.all(missing.map((weights) => trainerClient().request({ type: 'attention', ...request, weights })));
      const current = get()[which];
      if (current?.key !== entry.key) return;
      const maps = { ...current.maps };
      for (const { attention } of replies) maps[attention.weights] = attention.probabilities;
      const { tokens, labels } = replies[0].attention;
      set({ [which]: { ...current, tokens, labels, maps, loading: false, ms: performance.now() - started } } as Partial<ExploreStore>);
      // The mode may have changed while this was in flight.
      get().sync(which === 'head' ? { layer: (entry as OpenHead).layer, head: (entry as OpenHead).head } : null);
    } catch (error) {
      if (get()[which]?.key === entry.key) set({ [which]: { ...get()[which]!, loading: false, error: errorMessage(error) } } as Partial<ExploreStore>);
    }
  }

  const blank = (key: string): Fetched => ({ key, tokens: [], labels: null, maps: {}, loading: false, error: null, ms: null });

  return {
    source: 'text',
    text: DEFAULT_TEXT,
    promptIndex: 0,
    labelWords: syntheticPrompt(2).labelWords.join(', '),
    mode: 'trained',
    shown: null,
    weightsVersion: 0,
    overview: null,
    head: null,
    setSource: (source) => set({ source }),
    setText: (text) => set({ text }),
    setPromptIndex: (promptIndex) => set({ promptIndex }),
    setLabelWords: (labelWords) => set({ labelWords }),
    setMode: (mode) => set({ mode }),
    explore() {
      const { source, text, promptIndex } = get();
      set({ shown: source === 'text' ? { kind: 'text', text } : { kind: 'prompt', index: promptIndex } });
    },
    sync(focus) {
      const { shown, weightsVersion } = get();
      if (!shown) return;
      const base = `${JSON.stringify(shown)}@${weightsVersion}`;
      if (get().overview?.key !== base) set({ overview: blank(base) });
      void fetchInto('overview', get().overview!, { input: shown, rows: 'last' });
      if (!focus) return;
      const key = `${base}/${focus.layer}.${focus.head}`;
      if (get().head?.key !== key) set({ head: { ...blank(key), layer: focus.layer, head: focus.head } });
      void fetchInto('head', get().head!, { input: shown, rows: 'all', layers: [focus.layer], heads: [focus.head] });
    },
  };
});

// Training steps and model loads change the weights; maps fetched before no longer show them.
useTrainingStore.subscribe((s, prev) => {
  if (s.history !== prev.history) useExploreStore.setState((e) => ({ weightsVersion: e.weightsVersion + 1 }));
});
useModelStore.subscribe((s, prev) => {
  if (s.model !== prev.model) useExploreStore.setState((e) => ({ weightsVersion: e.weightsVersion + 1, shown: s.model ? e.shown : null }));
});
