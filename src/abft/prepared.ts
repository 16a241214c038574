/**
 * Prompt draws turned into what the GPU consumes: token ids, the label positions I⁺ / I⁻ and the
 * gold class, checked for every input error before any training starts.
 */
import type { ModelTokenizer } from '../model/tokenizer';
import { buildPrompt, locateLabels, type MultiTokenLabels, type PromptTemplate } from './prompts';
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
  readonly multiToken: MultiTokenLabels;
  readonly maxPositions: number;
  /** Names the prompts in messages: "training prompt", "test prompt". */
  readonly what: string;
}

export function preparePrompts(tokenizer: ModelTokenizer, template: PromptTemplate, draws: readonly PromptDraw[], opts: PrepareOptions): PreparedPrompt[] {
  return draws.map((draw, i) => {
    const built = buildPrompt(template, draw.demonstrations, draw.query);
    const located = locateLabels(tokenizer, built, { multiToken: opts.multiToken, maxPositions: opts.maxPositions, name: `${opts.what} ${i + 1}` });
    return { ids: located.ids, plus: located.plus, minus: located.minus, gold: built.queryLabel, demonstrationLabels: built.demonstrationLabels };
  });
}
