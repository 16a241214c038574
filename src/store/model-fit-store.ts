/**
 * The size check of a Hub model before its download: its config.json alone is fetched, and the
 * Model panel works out from it whether the model fits this GPU.
 */
import { create } from 'zustand';
import type { ModelSpec } from '../model/spec';
import { hubRequest } from './hub-access';
import { fetchHubConfig } from './hub-config';
import { useModelStore } from './model-store';

export type FitCheck =
  | { readonly state: 'idle' }
  | { readonly state: 'checking'; readonly id: string }
  | { readonly state: 'done'; readonly id: string; readonly spec: ModelSpec }
  | { readonly state: 'failed'; readonly id: string; readonly message: string };

interface ModelFitStore {
  readonly check: FitCheck;
  /** Fetches the config.json of the model id and revision typed in the Model panel. */
  checkHubModel(): Promise<void>;
}

/** repo@revision, as the check and the form name a model. */
export function hubModelId(repo: string, revision: string): string {
  return `${repo.trim()}@${revision.trim() || 'main'}`;
}

let inFlight: AbortController | null = null;

export const useModelFitStore = create<ModelFitStore>((set) => ({
  check: { state: 'idle' },

  async checkHubModel() {
    const { hubRepo, hubRevision, hubToken, hubEndpoint, trustedHubOrigins } = useModelStore.getState();
    const id = hubModelId(hubRepo, hubRevision);
    inFlight?.abort();
    const controller = new AbortController();
    inFlight = controller;
    set({ check: { state: 'checking', id } });
    let withheld = '';
    try {
      const { endpoint, token, withheldNote } = hubRequest(hubEndpoint, hubToken, trustedHubOrigins);
      withheld = withheldNote;
      const spec = await fetchHubConfig({ repo: hubRepo.trim(), revision: hubRevision.trim() || 'main', endpoint, token, signal: controller.signal });
      set({ check: { state: 'done', id, spec } });
    } catch (error) {
      if (controller.signal.aborted) return;
      set({ check: { state: 'failed', id, message: (error instanceof Error ? error.message : String(error)) + withheld } });
    } finally {
      if (inFlight === controller) inFlight = null;
    }
  },
}));
