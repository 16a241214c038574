/** The explorer's arithmetic on attention maps: differences, slices and which tokens are labels. */

/** Fine-tuned minus base, element by element. */
export function difference(trained: Float32Array, base: Float32Array): Float32Array {
  if (trained.length !== base.length) throw new Error(`difference: maps of ${trained.length} and ${base.length} values; both must come from the same prompt, layer and head.`);
  const out = new Float32Array(trained.length);
  for (let i = 0; i < out.length; i++) out[i] = trained[i] - base[i];
  return out;
}

/** The largest |value|, the end of a symmetric difference scale; a tiny floor keeps an all-zero map drawable. */
export function symmetricScale(values: Float32Array): number {
  let max = 0;
  for (const v of values) max = Math.max(max, Math.abs(v));
  return Math.max(max, 1e-6);
}

/** One head's [rows, tokens] slice of a layer's [heads, rows, tokens] probabilities. */
export function headSlice(layer: Float32Array, head: number, rows: number, tokens: number): Float32Array {
  return layer.subarray(head * rows * tokens, (head + 1) * rows * tokens);
}

/** How a token position is marked: a demonstration label of the query's class (I⁺), of another class (I⁻), or a label word found in typed text. */
export type LabelKind = 'plus' | 'minus' | 'label';

/**
 * Label positions: a training prompt's I⁺ and I⁻ as the worker gives them; in typed text, tokens
 * that are one of the label words (the last token is the query's, never a demonstration label).
 */
export function labelMarks(
  tokens: readonly string[],
  known: { readonly plus: readonly number[]; readonly minus: readonly number[] } | null,
  labelWords: readonly string[],
): Map<number, LabelKind> {
  const marks = new Map<number, LabelKind>();
  if (known) {
    for (const p of known.plus) marks.set(p, 'plus');
    for (const p of known.minus) marks.set(p, 'minus');
    return marks;
  }
  const words = new Set(labelWords.map((w) => w.trim()).filter((w) => w !== ''));
  tokens.forEach((t, i) => {
    if (i < tokens.length - 1 && words.has(t.trim())) marks.set(i, 'label');
  });
  return marks;
}

/** Comma-separated label words as typed, trimmed, empty ones dropped. */
export function parseLabelWords(text: string): string[] {
  return text.split(',').map((w) => w.trim()).filter((w) => w !== '');
}

/** A token as text that shows its whitespace: spaces as ·, newlines as ⏎, tabs as ⇥. */
export function displayToken(token: string): string {
  if (token === '') return '∅';
  return token.replace(/ /g, '·').replace(/\n/g, '⏎').replace(/\t/g, '⇥');
}

/** Sum of the weights on the marked positions: how much of a row lands on labels. */
export function labelMass(row: Float32Array, marks: ReadonlyMap<number, LabelKind>): number {
  let sum = 0;
  for (const p of marks.keys()) sum += row[p] ?? 0;
  return sum;
}
