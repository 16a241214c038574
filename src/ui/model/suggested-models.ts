/**
 * Models small enough to fine-tune in a browser, with their published config.json (bundled, so
 * their size and fit are known without any request).
 */
import { GEMMA3_270M, GPT2, GPT2_LARGE, GPT2_MEDIUM, QWEN25_05B, QWEN3_06B, SMOLLM2_135M, SMOLLM2_360M } from '../../model/known-configs';
import { parseModelConfig } from '../../model/config';
import type { ModelSpec } from '../../model/spec';

export interface SuggestedModel {
  readonly repo: string;
  readonly note: string;
  readonly spec: ModelSpec;
}

const suggest = (repo: string, config: object, note: string): SuggestedModel => ({ repo, note, spec: parseModelConfig(config, `${repo} config.json`) });

export const SUGGESTED_MODELS: readonly SuggestedModel[] = [
  suggest('HuggingFaceTB/SmolLM2-135M', SMOLLM2_135M, 'smallest; quick to try'),
  suggest('HuggingFaceTB/SmolLM2-360M', SMOLLM2_360M, 'Llama family'),
  suggest('openai-community/gpt2', GPT2, 'GPT-2 small'),
  suggest('openai-community/gpt2-medium', GPT2_MEDIUM, 'GPT-2 medium'),
  suggest('openai-community/gpt2-large', GPT2_LARGE, "the paper's GPT2-L"),
  suggest('Qwen/Qwen2.5-0.5B', QWEN25_05B, 'Qwen2 family'),
  suggest('Qwen/Qwen3-0.6B', QWEN3_06B, 'Qwen3 family (QK-norm)'),
  // Gated on the Hub: its license is accepted there, and the download needs the access token.
  suggest('google/gemma-3-270m', GEMMA3_270M, 'Gemma 3 family (sliding window); gated: needs an access token'),
];

export function suggestedModel(repo: string): SuggestedModel | undefined {
  return SUGGESTED_MODELS.find((m) => m.repo === repo.trim());
}
