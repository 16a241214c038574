import { create } from 'zustand';
import { persist } from 'zustand/middleware';
import { CLASSROOM_MODEL } from '../classroom-model';
import { DEMO_MODEL } from '../demo-model';
import { DEFAULT_HUB_ENDPOINT } from '../model/hub';
import type { CachedModel, LoadProgress, ModelSource, ModelSummary } from '../train/protocol';
import { hubEndpointStatus, hubRequest, linkedHubEndpoint } from './hub-access';
import { trainerClient } from './trainer-client';

export interface PickedFile {
  readonly path: string;
  readonly file: File;
}

export type LoadState =
  | { readonly state: 'idle' }
  | { readonly state: 'loading'; readonly what: string; readonly progress: LoadProgress | null }
  | { readonly state: 'failed'; readonly message: string }
  | { readonly state: 'cancelled'; readonly message: string };

interface ModelStore {
  /** The Hub id and revision as last typed: persisted, so a reload keeps them. */
  readonly hubRepo: string;
  readonly hubRevision: string;
  /** Never persisted: an access token stays in memory for this page only. */
  readonly hubToken: string;
  /**
   * The Hub endpoint as typed, prefilled from `?hub=` or the official Hub; not persisted, so a link
   * visited once does not stay the endpoint.
   */
  readonly hubEndpoint: string;
  /** Origins of other endpoints the user trusted with the token in the page: persisted, until revoked. */
  readonly trustedHubOrigins: readonly string[];
  readonly load: LoadState;
  /** The model on the GPU, or null (none loaded yet, or released for a load that then failed). */
  readonly model: ModelSummary | null;
  readonly cached: readonly CachedModel[];
  setHubRepo(repo: string): void;
  setHubRevision(revision: string): void;
  setHubToken(token: string): void;
  setHubEndpoint(endpoint: string): void;
  /** Trusts the endpoint in the field with the token, from now on and after reloads. */
  trustHubEndpoint(): void;
  distrustHubOrigin(origin: string): void;
  loadFromHub(): Promise<void>;
  /** `path` is relative to the picked or dropped folder, the folder's name included. */
  loadFiles(label: string, files: readonly PickedFile[]): Promise<void>;
  /** The bundled demo model (random weights), served with the app itself, so it loads with no network. */
  loadDemo(): Promise<void>;
  /** The bundled classroom model (pretrained until it learned ICL), served with the app like the demo model. */
  loadClassroomModel(): Promise<void>;
  cancel(): void;
  /** A model the worker made itself (pretrained from scratch) is the loaded one now. */
  adopt(model: ModelSummary): void;
  /** A failure before any request reached the worker (reading a dropped folder). */
  fail(message: string): void;
  refreshCached(): Promise<void>;
  deleteCached(model: CachedModel): Promise<void>;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A model folder served with the app (the demo model, the classroom model). */
interface BundledModel {
  readonly path: string;
  readonly files: readonly string[];
  readonly label: string;
}

async function fetchBundledFile(bundle: BundledModel, name: string): Promise<PickedFile> {
  const url = `${import.meta.env.BASE_URL}${bundle.path}/${name}`;
  const response = await fetch(url);
  if (!response.ok) throw new Error(`the ${bundle.label}'s ${name} could not be fetched from ${url} (HTTP ${response.status}); rebuild the app (npm run build), which puts it beside the page.`);
  return { path: `${bundle.path}/${name}`, file: new File([await response.blob()], name) };
}

let abort: AbortController | null = null;
let listening = false;

export const useModelStore = create<ModelStore>()(
  persist(
    (set, get) => {
      /** `failureNote` is added to the message of a failed load (not of a cancelled one). */
      async function loadBundled(bundle: BundledModel): Promise<void> {
        let files: PickedFile[];
        try {
          files = await Promise.all(bundle.files.map((name) => fetchBundledFile(bundle, name)));
        } catch (error) {
          set({ load: { state: 'failed', message: errorMessage(error) } });
          return;
        }
        await get().loadFiles(bundle.label, files);
      }

      /** From the first model on: the worker releases it when another load (or a pretraining run) takes the GPU. */
      function listenForReleases(): void {
        if (listening) return;
        listening = true;
        trainerClient().onEvent((event) => {
          if (event.type === 'model-released') set({ model: null });
        });
      }

      async function loadSource(what: string, source: ModelSource, failureNote = ''): Promise<void> {
        const client = trainerClient();
        listenForReleases();
        const controller = new AbortController();
        abort = controller;
        set({ load: { state: 'loading', what, progress: null } });
        try {
          const reply = await client.request(
            { type: 'load-model', source },
            { signal: controller.signal, onProgress: (progress) => set({ load: { state: 'loading', what, progress } }) },
          );
          set({ model: reply.model, load: { state: 'idle' } });
        } catch (error) {
          const message = errorMessage(error);
          set({ load: controller.signal.aborted ? { state: 'cancelled', message } : { state: 'failed', message: message + failureNote } });
        } finally {
          if (abort === controller) abort = null;
        }
        if (source.kind === 'hub') await get().refreshCached();
      }

      return {
        hubRepo: '',
        hubRevision: 'main',
        hubToken: '',
        hubEndpoint: linkedHubEndpoint() ?? DEFAULT_HUB_ENDPOINT,
        trustedHubOrigins: [],
        load: { state: 'idle' },
        model: null,
        cached: [],
        setHubRepo: (hubRepo) => set({ hubRepo }),
        setHubRevision: (hubRevision) => set({ hubRevision }),
        setHubToken: (hubToken) => set({ hubToken }),
        setHubEndpoint: (hubEndpoint) => set({ hubEndpoint }),

        trustHubEndpoint() {
          const { hubEndpoint, trustedHubOrigins } = get();
          const status = hubEndpointStatus(hubEndpoint, trustedHubOrigins);
          if (status.state === 'untrusted') set({ trustedHubOrigins: [...trustedHubOrigins, status.endpoint.origin] });
        },

        distrustHubOrigin: (origin) => set(({ trustedHubOrigins }) => ({ trustedHubOrigins: trustedHubOrigins.filter((o) => o !== origin) })),

        loadFromHub() {
          const { hubRepo, hubRevision, hubToken, hubEndpoint, trustedHubOrigins } = get();
          const repo = hubRepo.trim();
          const revision = hubRevision.trim() || 'main';
          let request;
          try {
            request = hubRequest(hubEndpoint, hubToken, trustedHubOrigins);
          } catch (error) {
            set({ load: { state: 'failed', message: errorMessage(error) } });
            return Promise.resolve();
          }
          const { endpoint, token, withheldNote } = request;
          return loadSource(`${repo}@${revision}`, { kind: 'hub', repo, revision, endpoint, token }, withheldNote);
        },

        loadFiles(label, files) {
          return loadSource(label, { kind: 'files', label, files });
        },

        loadDemo() {
          return loadBundled(DEMO_MODEL);
        },

        loadClassroomModel() {
          return loadBundled(CLASSROOM_MODEL);
        },

        cancel() {
          abort?.abort();
        },

        adopt(model) {
          listenForReleases();
          set({ model, load: { state: 'idle' } });
        },

        fail(message) {
          set({ load: { state: 'failed', message } });
        },

        async refreshCached() {
          try {
            set({ cached: (await trainerClient().request({ type: 'cached-models' })).models });
          } catch {
            // The list is a convenience: without Cache Storage it stays empty, and loading says why.
            set({ cached: [] });
          }
        },

        async deleteCached({ repo, revision, endpoint }) {
          try {
            set({ cached: (await trainerClient().request({ type: 'delete-cached-model', repo, revision, endpoint })).models });
          } catch (error) {
            set({ load: { state: 'failed', message: errorMessage(error) } });
          }
        },
      };
    },
    {
      name: 'abft-studio-model',
      partialize: ({ hubRepo, hubRevision, trustedHubOrigins }) => ({ hubRepo, hubRevision, trustedHubOrigins }),
      // Stored state is read back as it was written, except that only strings are trusted origins.
      merge: (persisted, current) => {
        const stored = (persisted ?? {}) as Partial<ModelStore>;
        const origins = Array.isArray(stored.trustedHubOrigins) ? stored.trustedHubOrigins.filter((o): o is string => typeof o === 'string') : [];
        return { ...current, ...stored, trustedHubOrigins: origins };
      },
    },
  ),
);
