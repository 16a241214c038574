/**
 * Prompts and rows too long for the model, found from their length in characters before any
 * tokenizing: a 5 MB row takes the tokenizer tens of seconds and gigabytes only to be refused for
 * its token count. No token covers more characters than the tokenizer's longest one, so a text
 * longer than maxPositions × that many characters cannot fit; shorter texts are left to the exact
 * token count.
 */
import { InputError, quote } from '../data/dataset';
import type { ModelTokenizer } from '../model/tokenizer';
import type { BuiltPrompt } from './prompts';

const count = (n: number) => n.toLocaleString('en');

/** The most characters a text can have and still fit in `maxPositions` tokens of `tokenizer`. */
export function promptCharLimit(tokenizer: ModelTokenizer, maxPositions: number): number {
  return maxPositions * tokenizer.longestTokenChars;
}

/** The normalized length of `text` when it is over `limit`, so that it certainly has too many tokens, or null; only a long text is normalized. */
function cannotFit(tokenizer: ModelTokenizer, text: string, limit: number): number | null {
  if (text.length <= limit) return null;
  const length = tokenizer.normalizedLength(text);
  return length > limit ? length : null;
}

function limitText(tokenizer: ModelTokenizer, maxPositions: number): string {
  return `the ${count(promptCharLimit(tokenizer, maxPositions))} characters that the model's ${count(maxPositions)} positions can hold (no token of its tokenizer stands for more than ${tokenizer.longestTokenChars} characters)`;
}

/** The prompt's longest row text: a demonstration's or the query's, as a message names it. */
function longestPart(built: BuiltPrompt): { readonly name: string; readonly start: number; readonly end: number } {
  let longest = 0;
  built.textRanges.forEach(([start, end], i) => {
    const [s, e] = built.textRanges[longest];
    if (end - start > e - s) longest = i;
  });
  const [start, end] = built.textRanges[longest];
  const name = longest === built.textRanges.length - 1 ? "the query's text" : `demonstration ${longest + 1}'s text`;
  return { name, start, end };
}

/**
 * Throws an InputError when `built` is too long in characters for `maxPositions` tokens, naming
 * its longest row; `name` names the prompt ("training prompt 17").
 */
export function checkPromptChars(tokenizer: ModelTokenizer, built: BuiltPrompt, maxPositions: number, name: string): void {
  const length = cannotFit(tokenizer, built.text, promptCharLimit(tokenizer, maxPositions));
  if (length === null) return;
  const part = longestPart(built);
  const partText = built.text.slice(part.start, part.end);
  throw new InputError(
    `${name} is ${count(length)} characters long, more than ${limitText(tokenizer, maxPositions)}, so it was not tokenized. Its longest row, ${part.name}, is ${count(partText.length)} characters (${quote(partText)}): shorten or remove that row, use fewer demonstrations (k), or pick a model with a longer context.`,
  );
}

/**
 * What is wrong with a row whose text alone is too long for any prompt of `maxPositions` tokens, or
 * null; `where` names the row ("Row 12"). Every prompt holding the row would be refused, so this is
 * known without drawing them.
 */
export function longRowProblem(tokenizer: ModelTokenizer, text: string, maxPositions: number, where: string): string | null {
  const length = cannotFit(tokenizer, text, promptCharLimit(tokenizer, maxPositions));
  if (length === null) return null;
  return `${where} is ${count(length)} characters long (${quote(text)}), more than ${limitText(tokenizer, maxPositions)}, so no prompt holding it can be trained on; shorten or remove the row, or pick a model with a longer context.`;
}
