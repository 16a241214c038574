/**
 * The Data panel's prompt preview: one prompt through the loaded model's tokenizer, with each
 * token's characters, the demonstration label tokens as ABFT's loss reads them (I⁺ / I⁻; a label
 * word of several tokens at its first), the tokens each label word is scored by as the answer, and
 * every problem that would stop training on it, collected instead of thrown, so the user sees them
 * all while editing. The prompt is tokenized once, not at all when it is too long in characters,
 * and only its first tokens go to the page.
 */
import { labelTargets } from '../abft/label-scoring';
import { checkPromptChars, longRowProblem } from '../abft/prompt-length';
import { buildPrompt, checkTemplate, locateLabels, type BuiltPrompt, type LocatedPrompt } from '../abft/prompts';
import { InputError, rowProblem } from '../data/dataset';
import type { ModelTokenizer } from '../model/tokenizer';
import { tokenizerOf } from '../session/prompt-sets';
import type { WorkerState } from './state';
import type { PreviewInput, PreviewLabelToken, PreviewProblem, PromptPreview } from '../train/protocol';

/** Tokens sent to the page: more than its preview box shows at once, few enough to draw in well under a frame's budget. */
export const SHOWN_TOKENS = 1000;

/** Runs `f`; an input error becomes a problem (one that stops training unless `blocking` is false) and the fallback's value is used. */
function collect<T>(problems: PreviewProblem[], f: () => T, fallback: () => T, blocking = true): T {
  try {
    return f();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push({ message: error.message, blocking });
    return fallback();
  }
}

function labelTokens(located: LocatedPrompt, built: BuiltPrompt, queryLabel: number | null): PreviewLabelToken[] {
  return located.labelPositions.map((position, demonstration) => ({
    position,
    demonstration,
    tokens: located.labelLengths[demonstration],
    sign: queryLabel === null ? 'neutral' : built.demonstrationLabels[demonstration] === queryLabel ? 'plus' : 'minus',
  }));
}

/** The first SHOWN_TOKENS tokens of the located prompt, with their characters. */
function tokensOf(tokenizer: ModelTokenizer, text: string, located: LocatedPrompt): PromptPreview['tokens'] {
  return located.ids.slice(0, SHOWN_TOKENS).map((id, t) => {
    const [start, end] = located.offsets[t];
    return { id, start, end, text: end > start ? text.slice(start, end) : tokenizer.decode([id]) };
  });
}

export function previewPrompt(state: WorkerState, { template, labelScoring, demonstrations, query, longestRow }: PreviewInput): PromptPreview {
  const hosted = state.model;
  if (!hosted) throw new InputError('No model is loaded; load one in the Model panel to see how its tokenizer splits the prompt.');
  const tokenizer = tokenizerOf(hosted.model);
  const maxPositions = hosted.model.spec.maxPositions;
  const problems: PreviewProblem[] = [];
  const blocking = (message: string): PreviewProblem => ({ message, blocking: true });
  const empty = (characters = 0): PromptPreview => ({ characters, tokens: [], tokenCount: 0, labelTokens: [], answers: [], maxPositions, problems });

  const longRow = longestRow && longRowProblem(tokenizer, longestRow.text, maxPositions, `Row ${longestRow.row}`);
  if (longRow) problems.push(blocking(longRow));
  if (!collect(problems, () => (checkTemplate(template), true), () => false)) return empty();
  const labelCount = template.labelWords.length;
  const rowProblems = demonstrations.map((row, i) => rowProblem(row, labelCount, `Demonstration ${i + 1}`)).filter((p) => p !== null);
  const queryProblem = rowProblem({ text: query.text, label: query.label ?? 0 }, labelCount, 'The query');
  if (rowProblems.length > 0 || (queryProblem && query.text.trim() === '')) {
    problems.push(...[...rowProblems, queryProblem].filter((p) => p !== null).map(blocking));
    return empty();
  }
  // A query whose label has no label word still makes a prompt: only I⁺ / I⁻ are unknown.
  const queryLabel = queryProblem ? null : query.label;
  if (queryProblem) problems.push(blocking(queryProblem));

  const built = buildPrompt(template, demonstrations, { text: query.text, label: queryLabel ?? 0 });
  // A typed query (no label) changes only this preview: training draws its own queries, so its prompt's length does not stop training.
  const typed = query.label === null;
  const name = typed ? 'With the typed query, the prompt' : 'The prompt';
  if (!collect(problems, () => (checkPromptChars(tokenizer, built, maxPositions, name), true), () => false, !typed)) {
    return { ...empty(built.text.length), tokenCount: null };
  }
  const labels = collect(problems, () => labelTargets(tokenizer, template, labelScoring), () => null);
  const answers = labels ? labels.tokens.map((ids, c) => ({ word: labels.words[c], tokens: ids.map((id) => tokenizer.decode([id])) })) : [];
  const located = locateLabels(tokenizer, built, { name: 'The prompt' });
  if (located.ids.length > maxPositions) {
    problems.push({
      message: `${name} is ${located.ids.length} tokens long, more than the model's limit of ${maxPositions} positions; use fewer demonstrations (k), shorten long rows, or pick a model with a longer context.`,
      blocking: !typed,
    });
  }
  return {
    characters: built.text.length,
    tokens: tokensOf(tokenizer, built.text, located),
    tokenCount: located.ids.length,
    labelTokens: labelTokens(located, built, queryLabel),
    answers,
    maxPositions,
    problems,
  };
}
