/**
 * How the query's answer is scored for each class (ABFT-SPEC.md §2, "label scoring"). The prompt
 * ends with the label prefix's space, so a class's tokens are those of its bare label word, which
 * may be several (GPT-2 splits a bare "sad" although " sad" is one token):
 * - 'sequence' (default): the log-probability of the word's whole token sequence after the prompt,
 *   teacher-forced, log p(t1 | prompt) + log p(t2 | prompt, t1) + ..., as evaluation harnesses
 *   (lm-eval-harness's loglikelihood) score a continuation;
 * - 'first': the last-position logit of the word's first token;
 * - 'last': that of its last token, as StaICC's `tokenizer(label).input_ids[-1]`.
 * The prediction is the class with the highest score.
 */
import { InputError, quote } from '../data/dataset';
import type { ModelTokenizer } from '../model/tokenizer';
import { checkTemplate, type PromptTemplate } from './prompts';

export type LabelScoring = 'sequence' | 'first' | 'last';

export const LABEL_SCORINGS: readonly LabelScoring[] = ['sequence', 'first', 'last'];

export const DEFAULT_LABEL_SCORING: LabelScoring = 'sequence';

/** Where a user picks the rule, for messages that the CLI and the app share. */
export const LABEL_SCORING_CONTROL = '--label-scoring on the command line, "Label scoring" beside the label words in the app';

export interface LabelTargets {
  readonly scoring: LabelScoring;
  /** One per class, index = class id. */
  readonly words: readonly string[];
  /** Per class, the token ids its score reads: the bare word's whole sequence ('sequence'), or its one scoring id. */
  readonly tokens: readonly (readonly number[])[];
}

export function isLabelScoring(value: unknown): value is LabelScoring {
  return LABEL_SCORINGS.includes(value as LabelScoring);
}

function pieces(tokenizer: ModelTokenizer, ids: readonly number[]): string {
  return ids.map((id) => `${JSON.stringify(tokenizer.decode([id]))} (id ${id})`).join(' + ');
}

/**
 * Each class's scored tokens under `scoring`. Two classes the rule cannot tell apart (the same
 * scoring id, or for 'sequence' the same token sequence) are an InputError naming both words.
 */
export function labelTargets(tokenizer: ModelTokenizer, template: PromptTemplate, scoring: LabelScoring): LabelTargets {
  checkTemplate(template);
  if (!isLabelScoring(scoring)) throw new InputError(`The label scoring is ${quote(String(scoring))}; it must be one of ${LABEL_SCORINGS.join(', ')}.`);
  const words = template.labelWords;
  const sequences = words.map((word) => {
    const ids = tokenizer.tokenIdOf(word);
    if (ids.length === 0) throw new Error(`The tokenizer gives no token for the label word ${quote(word)}.`);
    return ids;
  });
  const tokens = sequences.map((ids) => (scoring === 'sequence' ? ids : [scoring === 'first' ? ids[0] : ids[ids.length - 1]]));
  const keys = tokens.map((ids) => ids.join(' '));
  for (const [c, key] of keys.entries()) {
    const first = keys.indexOf(key);
    if (first === c) continue;
    const [a, b] = [quote(words[first]), quote(words[c])];
    if (sequences[first].join(' ') === sequences[c].join(' ')) {
      throw new InputError(`The label words ${a} and ${b} are the same tokens for this model, ${pieces(tokenizer, sequences[c])}, so no scoring rule can tell them apart; choose label words that differ.`);
    }
    const which = scoring === 'first' ? 'start' : 'end';
    throw new InputError(
      `The label words ${a} and ${b} both ${which} with the token ${pieces(tokenizer, tokens[c])}, so scoring by the ${scoring} token cannot tell them apart; use another label scoring (sequence, the default, scores the whole word; ${LABEL_SCORING_CONTROL}) or label words whose ${scoring} tokens differ.`,
    );
  }
  return { scoring, words: [...words], tokens };
}

/** The one token id of each class when every class is scored by a single token; null when some label word is scored by several. */
export function singleTokenIds(labels: LabelTargets): number[] | null {
  return labels.tokens.every((ids) => ids.length === 1) ? labels.tokens.map((ids) => ids[0]) : null;
}

/** A sequence the model runs to score a prompt's classes, and the rows whose next-token log-probabilities the scores add up. */
export interface ScoringRun {
  readonly ids: readonly number[];
  /** The class whose tokens extend the prompt; null for the prompt alone. */
  readonly extendedBy: number | null;
  readonly reads: readonly { readonly row: number; readonly targets: readonly { readonly token: number; readonly label: number }[] }[];
}

/**
 * The runs that give every class's 'sequence' score on a prompt. The prompt's last row gives
 * log p(t1 | prompt) of every class at once. A class of m > 1 tokens also needs rows after the
 * prompt: the prompt extended with its first m - 1 tokens, whose rows then give log p(t2 | ..)
 * to log p(tm | ..). Causal attention makes the prompt's last row the same in every extension, so
 * the first extension reads it and a prompt costs one run per multi-token class (one run when
 * every class is a single token: the prompt alone).
 */
export function scoringRuns(promptIds: readonly number[], labels: LabelTargets): ScoringRun[] {
  if (labels.scoring !== 'sequence') throw new Error(`scoringRuns: the labels are scored by '${labels.scoring}', not 'sequence'`);
  const last = promptIds.length - 1;
  const firstTokens = { row: last, targets: labels.tokens.map((ids, label) => ({ token: ids[0], label })) };
  const longer = labels.tokens.flatMap((ids, label) => (ids.length > 1 ? [{ ids, label }] : []));
  if (longer.length === 0) return [{ ids: promptIds, extendedBy: null, reads: [firstTokens] }];
  return longer.map(({ ids, label }, i) => ({
    ids: [...promptIds, ...ids.slice(0, -1)],
    extendedBy: label,
    reads: [...(i === 0 ? [firstTokens] : []), ...ids.slice(1).map((token, j) => ({ row: last + 1 + j, targets: [{ token, label }] }))],
  }));
}

/** Positions a prompt needs beyond its own tokens to be scored: the longest label word's tokens but one, with 'sequence'. */
export function scoringRoom(labels: LabelTargets): number {
  return Math.max(...labels.tokens.map((ids) => ids.length)) - 1;
}
