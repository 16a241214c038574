/**
 * The Data panel's prompt preview: one prompt through the loaded model's tokenizer, with each
 * token's characters, the demonstration label tokens as ABFT's loss reads them (I⁺ / I⁻; a label
 * word of several tokens at its first), the tokens each label word is scored by as the answer, and
 * every problem that would stop training on it, collected instead of thrown, so the user sees them
 * all while editing.
 */
import { labelTargets } from '../abft/label-scoring';
import { buildPrompt, checkTemplate, locateLabels, type BuiltPrompt, type LocatedPrompt } from '../abft/prompts';
import { InputError, rowProblem } from '../data/dataset';
import type { ModelTokenizer } from '../model/tokenizer';
import { hostedModel } from './model-host';
import { tokenizerOf } from './prompt-sets';
import type { PreviewInput, PreviewLabelToken, PromptPreview } from './protocol';

/** Runs `f`; an input error becomes a problem and the fallback's value is used. */
function collect<T>(problems: string[], f: () => T, fallback: () => T): T {
  try {
    return f();
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    problems.push(error.message);
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

function tokensOf(tokenizer: ModelTokenizer, text: string): PromptPreview['tokens'] {
  const { ids, offsets } = tokenizer.encodeWithOffsets(text);
  return ids.map((id, t) => {
    const [start, end] = offsets[t];
    return { id, start, end, text: end > start ? text.slice(start, end) : tokenizer.decode([id]) };
  });
}

export function previewPrompt({ template, labelScoring, demonstrations, query }: PreviewInput): PromptPreview {
  const hosted = hostedModel();
  if (!hosted) throw new InputError('No model is loaded; load one in the Model panel to see how its tokenizer splits the prompt.');
  const tokenizer = tokenizerOf(hosted.model);
  const maxPositions = hosted.model.spec.maxPositions;
  const problems: string[] = [];
  const empty = (): PromptPreview => ({ text: '', tokens: [], labelTokens: [], answers: [], maxPositions, problems });

  if (!collect(problems, () => (checkTemplate(template), true), () => false)) return empty();
  const labelCount = template.labelWords.length;
  const rowProblems = demonstrations.map((row, i) => rowProblem(row, labelCount, `Demonstration ${i + 1}`)).filter((p) => p !== null);
  const queryProblem = rowProblem({ text: query.text, label: query.label ?? 0 }, labelCount, 'The query');
  if (rowProblems.length > 0 || (queryProblem && query.text.trim() === '')) return { ...empty(), problems: [...rowProblems, ...(queryProblem ? [queryProblem] : [])] };
  // A query whose label has no label word still makes a prompt: only I⁺ / I⁻ are unknown.
  const queryLabel = queryProblem ? null : query.label;
  if (queryProblem) problems.push(queryProblem);

  const built = buildPrompt(template, demonstrations, { text: query.text, label: queryLabel ?? 0 });
  const labels = collect(problems, () => labelTargets(tokenizer, template, labelScoring), () => null);
  const answers = labels ? labels.tokens.map((ids, c) => ({ word: labels.words[c], tokens: ids.map((id) => tokenizer.decode([id])) })) : [];
  const located = locateLabels(tokenizer, built, { name: 'The prompt' });
  if (located.ids.length > maxPositions) {
    problems.push(
      `The prompt is ${located.ids.length} tokens long, more than the model's limit of ${maxPositions} positions; use fewer demonstrations (k), shorten long rows, or pick a model with a longer context.`,
    );
  }
  return { text: built.text, tokens: tokensOf(tokenizer, built.text), labelTokens: labelTokens(located, built, queryLabel), answers, maxPositions, problems };
}
