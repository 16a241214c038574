import type { LabelKind } from './attention-data';
import type { Palette } from './canvas';

export function markColor(kind: LabelKind, palette: Palette): string {
  return kind === 'plus' ? palette.plus : kind === 'minus' ? palette.minus : palette.label;
}

export const MARK_NAMES: Record<LabelKind, string> = {
  plus: 'label of the query’s class (I⁺)',
  minus: 'label of another class (I⁻)',
  label: 'label word',
};
