/**
 * Prompt draws turned into what the GPU consumes: token ids, the label positions I⁺ / I⁻ and the
 * gold class, checked for every input error before any training starts.
 */
import type { TokenBatch } from '../model/batch';
import type { ModelTokenizer } from '../model/tokenizer';
import { buildPrompt, locateLabels, type PromptTemplate } from './prompts';
import type { PromptDraw } from './sampling';

export interface PreparedPrompt {
  readonly ids: readonly number[];
  /** Token positions of the demonstration labels equal to the query's gold label (I⁺), and of the others (I⁻). */
  readonly plus: readonly number[];
  readonly minus: readonly number[];
  /** The query's class id. */
  readonly gold: number;
  /** Class ids of the demonstrations, for the unseen-label measure. */
  readonly demonstrationLabels: readonly number[];
}

export interface PrepareOptions {
  readonly maxPositions: number;
  /** Names the prompts in messages: "training prompt", "test prompt". */
  readonly what: string;
  /** The number the first draw has in those messages, less one: a set prepared a chunk at a time counts on. Default 0. */
  readonly offset?: number;
}

export function preparePrompts(tokenizer: ModelTokenizer, template: PromptTemplate, draws: readonly PromptDraw[], opts: PrepareOptions): PreparedPrompt[] {
  return draws.map((draw, i) => {
    const built = buildPrompt(template, draw.demonstrations, draw.query);
    const located = locateLabels(tokenizer, built, { maxPositions: opts.maxPositions, name: `${opts.what} ${(opts.offset ?? 0) + i + 1}` });
    return { ids: located.ids, plus: located.plus, minus: located.minus, gold: built.queryLabel, demonstrationLabels: built.demonstrationLabels };
  });
}

/** The ABFT label map [B, T] of a batch of prompts: +1 on I⁺, -1 on I⁻, 0 elsewhere (the loss kernel's input). */
export function labelMap(prompts: readonly Pick<PreparedPrompt, 'plus' | 'minus'>[], batch: Pick<TokenBatch, 'B' | 'T'>): Int32Array {
  const labels = new Int32Array(batch.B * batch.T);
  prompts.forEach((p, b) => {
    for (const pos of p.plus) labels[b * batch.T + pos] = 1;
    for (const pos of p.minus) labels[b * batch.T + pos] = -1;
  });
  return labels;
}
