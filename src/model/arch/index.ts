/**
 * The registry of architectures the engine loads: adding one means writing its module (see
 * types.ts), adding its id to `Architecture` and its module to BY_ID, and the kernels it needs.
 */
import { gemma3 } from './gemma3';
import { gpt2 } from './gpt2';
import { llama } from './llama';
import { qwen2 } from './qwen2';
import { qwen3 } from './qwen3';
import type { ArchitectureModule } from './types';

export type Architecture = 'gpt2' | 'llama' | 'qwen2' | 'qwen3' | 'gemma3';

const BY_ID: Readonly<Record<Architecture, ArchitectureModule>> = { gpt2, llama, qwen2, qwen3, gemma3 };

/** Every architecture, in the order they are listed to users. */
export const ARCHITECTURE_IDS = Object.keys(BY_ID) as Architecture[];

/** Keyed by config.json `architectures[0]`, e.g. "LlamaForCausalLM". */
export const ARCHITECTURES: Readonly<Record<string, ArchitectureModule>> = Object.fromEntries(Object.values(BY_ID).map((a) => [a.hfArchitecture, a]));

/** Keyed by config.json `model_type`, for configs without `architectures`. */
export const ARCHITECTURES_BY_MODEL_TYPE: Readonly<Record<string, ArchitectureModule>> = Object.fromEntries(Object.values(BY_ID).map((a) => [a.modelType, a]));

export function architectureModule(id: Architecture): ArchitectureModule {
  const module = BY_ID[id];
  if (!module) throw new Error(`architecture ${String(id)} is not registered; registered: ${ARCHITECTURE_IDS.join(', ')}`);
  return module;
}

export type { ArchitectureModule } from './types';
