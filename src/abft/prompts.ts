/**
 * ICL prompts as the paper builds them (ABFT-SPEC.md §2, the authors' StaICC library): k lines
 * `<input prefix><text> <label prefix><label word><separator>`, then the query line
 * `<input prefix><query text> <label prefix>`, which ends where the model must name the label.
 * Then, through the model's tokenizer, the token positions ABFT's loss reads: each demonstration's
 * label token, split by whether its label is the query's (I⁺) or not (I⁻), and the last token.
 */
import { checkRows, InputError, quote, rowProblem, type Row } from '../data/dataset';
import { findTokenSpan, type TokenOffsets } from '../model/token-offsets';
import type { ModelTokenizer } from '../model/tokenizer';
import { checkPromptChars } from './prompt-length';

export interface PromptTemplate {
  readonly inputPrefix: string;
  /** Ends the query line; the paper's end in a space, so the label word is predicted as a bare word. */
  readonly labelPrefix: string;
  /** One word per class, index = class id. */
  readonly labelWords: readonly string[];
  /** Ends each demonstration line; '\n' in the paper. */
  readonly separator: string;
}

/** The wording a dataset preset (or the synthetic data) carries. */
export interface PromptWording {
  readonly inputPrefix: string;
  readonly labelPrefix: string;
  readonly labelWords: readonly string[];
}

export function templateOf(wording: PromptWording): PromptTemplate {
  return { inputPrefix: wording.inputPrefix, labelPrefix: wording.labelPrefix, labelWords: [...wording.labelWords], separator: '\n' };
}

/** Throws an InputError when the template cannot make prompts whose labels are told apart. */
export function checkTemplate(template: PromptTemplate): void {
  const words = template.labelWords;
  if (words.length < 2) {
    throw new InputError(`The template has ${words.length} label word(s) (${words.map((w) => quote(w)).join(', ')}); classification needs at least two, one per class.`);
  }
  for (const [id, word] of words.entries()) {
    if (word.trim() === '' || word.trim() !== word) {
      throw new InputError(`Label word ${id} of the template is ${quote(word)}; a label word must be non-empty with no space at its start or end (the template puts the spaces).`);
    }
    const first = words.indexOf(word);
    if (first !== id) {
      throw new InputError(`The template's label word ${quote(word)} stands for both class ${first} and class ${id}; give each class its own word.`);
    }
  }
  if (template.separator === '') {
    throw new InputError('The template\'s separator is empty, so the demonstrations would run together; use "\\n" (the paper\'s).');
  }
}

/** Throws an InputError when `rows` do not fit the template: a missing or empty text, or a label without a label word. */
export function checkRowsForTemplate(rows: readonly Row[], template: PromptTemplate, name: string): void {
  checkTemplate(template);
  checkRows(rows, template.labelWords.length, name);
}

export interface BuiltPrompt {
  readonly text: string;
  /** Each demonstration's label word in `text`, as a UTF-16 range [start, end). */
  readonly labelRanges: readonly (readonly [number, number])[];
  /** Each demonstration's text, then the query's, in `text`, as a UTF-16 range [start, end). */
  readonly textRanges: readonly (readonly [number, number])[];
  readonly demonstrationLabels: readonly number[];
  readonly queryLabel: number;
}

export function buildPrompt(template: PromptTemplate, demonstrations: readonly Row[], query: Row): BuiltPrompt {
  checkTemplate(template);
  const labelCount = template.labelWords.length;
  const problems = [
    ...demonstrations.map((row, i) => rowProblem(row, labelCount, `Demonstration ${i + 1}`)),
    rowProblem(query, labelCount, 'The query'),
  ].filter((p) => p !== null);
  if (problems.length > 0) throw new InputError(problems.join('\n'));

  let text = '';
  const labelRanges: [number, number][] = [];
  const textRanges: [number, number][] = [];
  const addLine = (row: Row) => {
    text += template.inputPrefix;
    textRanges.push([text.length, text.length + row.text.length]);
    text += `${row.text} ${template.labelPrefix}`;
  };
  for (const row of demonstrations) {
    const word = template.labelWords[row.label];
    addLine(row);
    labelRanges.push([text.length, text.length + word.length]);
    text += `${word}${template.separator}`;
  }
  addLine(query);
  return { text, labelRanges, textRanges, demonstrationLabels: demonstrations.map((r) => r.label), queryLabel: query.label };
}

export interface LocateOptions {
  /** The model's context length; a longer prompt is an input error, found before tokenizing when it is too long in characters. */
  readonly maxPositions?: number;
  /** Names the prompt in messages, e.g. "training prompt 17". */
  readonly name?: string;
}

export interface LocatedPrompt {
  readonly ids: number[];
  /** Each token's UTF-16 range [start, end) in the prompt's text. */
  readonly offsets: TokenOffsets;
  /** Token position of each demonstration's label, in demonstration order (I): the first token of its label word. */
  readonly labelPositions: number[];
  /** Tokens each demonstration's label word spans in the prompt (1 when it is one token there). */
  readonly labelLengths: number[];
  /** Positions whose label is the query's gold label (I⁺); empty when no demonstration has it. */
  readonly plus: number[];
  /** The other label positions (I⁻). */
  readonly minus: number[];
  readonly lastPosition: number;
}

export function locateLabels(tokenizer: ModelTokenizer, built: BuiltPrompt, opts: LocateOptions): LocatedPrompt {
  const name = opts.name ?? 'The prompt';
  if (opts.maxPositions !== undefined) checkPromptChars(tokenizer, built, opts.maxPositions, name);
  const { ids, offsets } = tokenizer.encodeWithOffsets(built.text);
  if (opts.maxPositions !== undefined && ids.length > opts.maxPositions) {
    throw new InputError(
      `${name} is ${ids.length} tokens long, more than the model's limit of ${opts.maxPositions} positions; use fewer demonstrations (k), leave out long rows, or pick a model with a longer context.`,
    );
  }
  // A label word of several tokens in context is read at its first token (ABFT-SPEC.md §2, "label
  // positions"): that is where the word starts, the token a copying head attends to.
  const spans = built.labelRanges.map(([start, end], i) => {
    const span = findTokenSpan(offsets, start, end);
    if (!span) throw new Error(`${name}: no token covers demonstration ${i + 1}'s label at characters ${start}..${end}; the tokenizer's offsets are inconsistent.`);
    return span;
  });
  const labelPositions = spans.map((span) => span.first);
  const plus = labelPositions.filter((_, i) => built.demonstrationLabels[i] === built.queryLabel);
  const minus = labelPositions.filter((_, i) => built.demonstrationLabels[i] !== built.queryLabel);
  return { ids, offsets, labelPositions, labelLengths: spans.map((span) => span.last - span.first + 1), plus, minus, lastPosition: ids.length - 1 };
}

const ALTERNATIVE_INPUT_PREFIXES = ['input: ', 'text: ', 'example: '];
const ALTERNATIVE_LABEL_PREFIXES = ['label: ', 'answer: ', 'class: '];
const ALTERNATIVE_SEPARATORS = ['\n\n', ' \n', '\n'];

function three(base: string, alternatives: readonly string[]): string[] {
  return [base, ...alternatives.filter((a) => a !== base)].slice(0, 3);
}

/**
 * Nine templates for the template-consistency measure (the paper uses nine, Table 3), the first
 * being `base`: three input prefixes (base's, "input: ", "text: ") crossed with three label
 * prefixes (base's, "label: ", "answer: "), the separator ('\n', '\n\n', ' \n' with base's first)
 * chosen as a Latin square so each separator meets every input and every label prefix once.
 * Label words stay: the measure asks whether the prediction survives rewording of the frame.
 */
export function templateVariants(base: PromptTemplate): PromptTemplate[] {
  const inputs = three(base.inputPrefix, ALTERNATIVE_INPUT_PREFIXES);
  const labels = three(base.labelPrefix, ALTERNATIVE_LABEL_PREFIXES);
  const separators = three(base.separator, ALTERNATIVE_SEPARATORS);
  return inputs.flatMap((inputPrefix, i) =>
    labels.map((labelPrefix, j) => ({ inputPrefix, labelPrefix, labelWords: base.labelWords, separator: separators[(i + j) % 3] })),
  );
}
