/**
 * Prompt frames of the classroom language: the token ids of a template's input prefix, label
 * prefix and separator. The main frame is the classroom datasets' template; the others are the
 * rewordings of the template-consistency measure (templateVariants), which pretraining can mix in
 * so a model does not tie in-context learning to one wording.
 */
import { templateVariants, type PromptTemplate } from '../abft/prompts';
import { INPUT_PREFIX, LABEL_PREFIX, LABEL_WORDS, SEPARATOR, tokenId } from './vocabulary';

export interface Frame {
  readonly inputPrefix: number;
  readonly labelPrefix: number;
  readonly separator: number;
}

export function frameOf(template: Pick<PromptTemplate, 'inputPrefix' | 'labelPrefix' | 'separator'>): Frame {
  return { inputPrefix: tokenId(template.inputPrefix), labelPrefix: tokenId(template.labelPrefix), separator: tokenId(template.separator) };
}

/** The classroom template with `labelWords` (index = class id). */
export function classroomTemplate(labelWords: readonly string[]): PromptTemplate {
  return { inputPrefix: INPUT_PREFIX, labelPrefix: LABEL_PREFIX, labelWords: [...labelWords], separator: SEPARATOR };
}

/** The nine frames of templateVariants, the main one first. */
export const FRAMES: readonly Frame[] = templateVariants(classroomTemplate(LABEL_WORDS.slice(0, 2))).map(frameOf);
export const MAIN_FRAME: Frame = FRAMES[0];
