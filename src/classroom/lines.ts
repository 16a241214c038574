/**
 * Reading a classroom token sequence back into its lines (text ids, label id, label position),
 * from the tokens alone: the tests and evaluations check the corpus without trusting what the
 * generator says it drew.
 */
import { TOKENS } from './vocabulary';

export interface Line {
  /** Token ids of the line's text, between its input prefix and its label prefix. */
  readonly text: readonly number[];
  /** The label word's token id, or null when the sequence ends after the label prefix (a query). */
  readonly label: number | null;
  /** Position of the label token (or where it would be) in the sequence. */
  readonly labelPosition: number;
}

const kindOf = (id: number) => TOKENS[id]?.kind;

/**
 * The lines of `tokens` (one sequence, <bos> and <pad> allowed): a line starts at an input prefix,
 * its text runs to the next prefix token (the label prefix), the label is the token after it.
 */
export function parseLines(tokens: ArrayLike<number>): Line[] {
  const lines: Line[] = [];
  let i = 0;
  while (i < tokens.length && kindOf(tokens[i]) !== 'prefix') i++;
  while (i < tokens.length && kindOf(tokens[i]) === 'prefix') {
    const text: number[] = [];
    i++;
    while (i < tokens.length && kindOf(tokens[i]) !== 'prefix') text.push(tokens[i++]);
    if (i >= tokens.length) break;
    const labelPosition = i + 1;
    const label = labelPosition < tokens.length ? tokens[labelPosition] : null;
    lines.push({ text, label, labelPosition });
    i = labelPosition + 2;
  }
  return lines;
}

/** The characters `tokens` stand for, <bos> and <pad> left out (what a prompt's text would be). */
export function textOf(tokens: ArrayLike<number>): string {
  let text = '';
  for (let i = 0; i < tokens.length; i++) if (kindOf(tokens[i]) !== 'special') text += TOKENS[tokens[i]].text;
  return text;
}
