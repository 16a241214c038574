import { create } from 'zustand';
import type { SelfCheckResult } from '../engine/self-check';
import { WorkerCallError } from '../train/client';
import type { GpuInfo } from '../train/protocol';
import { trainerClient } from './trainer-client';

export type GpuStatus =
  | { readonly state: 'detecting' }
  | { readonly state: 'ready'; readonly gpu: GpuInfo }
  | { readonly state: 'unavailable'; readonly message: string }
  | { readonly state: 'lost'; readonly message: string };

export type SelfCheckState =
  | { readonly state: 'idle' }
  | { readonly state: 'running' }
  | { readonly state: 'done'; readonly results: SelfCheckResult[] }
  | { readonly state: 'failed'; readonly message: string };

interface GpuStore {
  readonly status: GpuStatus;
  readonly selfCheck: SelfCheckState;
  detect(): Promise<void>;
  runSelfCheck(): Promise<void>;
}

let listening = false;

const NO_WEBGPU_MESSAGE =
  'This browser does not expose WebGPU. Use Chrome or Edge 113 or newer. On Linux, enable it at ' +
  'chrome://flags/#enable-unsafe-webgpu (or start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan), then reload.';

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export const useGpuStore = create<GpuStore>((set, get) => ({
  status: { state: 'detecting' },
  selfCheck: { state: 'idle' },

  async detect() {
    if (typeof navigator === 'undefined' || !('gpu' in navigator)) {
      set({ status: { state: 'unavailable', message: NO_WEBGPU_MESSAGE } });
      return;
    }
    try {
      const client = trainerClient();
      if (!listening) {
        listening = true;
        client.onEvent((event) => {
          if (event.type === 'device-lost') set({ status: { state: 'lost', message: event.message } });
        });
      }
      const reply = await client.request({ type: 'probe' });
      set({ status: { state: 'ready', gpu: reply.gpu } });
    } catch (error) {
      const kind = error instanceof WorkerCallError ? error.detail.kind : 'failed';
      set({ status: kind === 'device-lost' ? { state: 'lost', message: errorMessage(error) } : { state: 'unavailable', message: errorMessage(error) } });
    }
  },

  async runSelfCheck() {
    if (get().status.state !== 'ready') return;
    set({ selfCheck: { state: 'running' } });
    try {
      const reply = await trainerClient().request({ type: 'self-check' });
      set({ selfCheck: { state: 'done', results: reply.results } });
    } catch (error) {
      set({ selfCheck: { state: 'failed', message: errorMessage(error) } });
    }
  },
}));
