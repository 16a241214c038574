/**
 * A classroom task as the app's built-in datasets are: a training pool and held-out test queries
 * of rows {text, label}, label words and the prompt template (the paper's shape), for one family
 * with one fixed draw of keys and label words. The model never saw this mapping: in pretraining
 * every sequence drew its own, so the prompts' demonstrations are the only place to learn it from.
 */
import type { PromptTemplate } from '../abft/prompts';
import type { Dataset, Row } from '../data/dataset';
import { rng } from '../engine/random';
import { familyById, type FamilyId, type TaskFamily } from './families';
import { classroomTemplate } from './frames';
import { CATEGORY_NAMES, LABEL_WORDS, TOKENS } from './vocabulary';

export interface ClassroomDatasetOptions {
  readonly seed: number;
  /** Classes (keys) of the task; default 2. */
  readonly classes?: number;
  /** Training pool rows; default 512. */
  readonly poolSize?: number;
  /** Test query rows, drawn apart from the pool; default 256. */
  readonly testSize?: number;
}

export interface ClassroomDataset {
  readonly family: TaskFamily;
  /** The training pool, in the app's dataset shape; labelSet holds the label words. */
  readonly dataset: Dataset;
  readonly testRows: readonly Row[];
  readonly template: PromptTemplate;
  /** Each class's key: a word (word families) or a category name (category families). */
  readonly keys: readonly string[];
}

const wordOf = (id: number) => TOKENS[id].word!;

export function textOfIds(ids: readonly number[]): string {
  return ids.map(wordOf).join(' ');
}

/** Mixes the family's name into the seed, so two families' datasets of one seed draw unrelated keys and label words. */
function datasetSeed(id: FamilyId, seed: number): number {
  let h = seed >>> 0;
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

export function classroomDataset(familyId: FamilyId, opts: ClassroomDatasetOptions): ClassroomDataset {
  const family = familyById(familyId);
  const classes = opts.classes ?? 2;
  if (!Number.isInteger(classes) || classes < 2 || classes > 4) throw new Error(`A classroom task has 2 to 4 classes; got ${classes}.`);
  const random = rng(datasetSeed(family.id, opts.seed));
  const keys = family.drawKeys(random, classes);
  const labelWords = [...LABEL_WORDS];
  for (let i = 0; i < classes; i++) {
    const j = i + Math.floor(random() * (labelWords.length - i));
    [labelWords[i], labelWords[j]] = [labelWords[j], labelWords[i]];
  }
  const words = labelWords.slice(0, classes);
  // Labels cycle through the classes so each is equally frequent, as in the synthetic sentiment data.
  const rows = (size: number): Row[] =>
    Array.from({ length: size }, (_, i) => ({ text: textOfIds(family.drawText(random, keys[i % classes], keys)), label: i % classes }));
  const pool = rows(opts.poolSize ?? 512);
  const testRows = rows(opts.testSize ?? 256);
  return {
    family,
    dataset: { name: `classroom ${family.id} (${classes} classes, seed ${opts.seed})`, rows: pool, labelSet: words },
    testRows,
    template: classroomTemplate(words),
    keys: keys.map((key) => (family.keyKind === 'word' ? wordOf(key) : CATEGORY_NAMES[key])),
  };
}
