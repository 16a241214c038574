/**
 * The classroom tasks as built-in datasets, one per task family of the classroom language
 * (docs/classroom-language.md): a training pool, held-out test queries, the class names, label
 * words and template, all drawn from one fixed seed, so the app, `abft --data classroom/<family>`
 * and any check that reads them see identical rows. The held-out families were left out of the
 * classroom model's pretraining: ABFT on them is what measures whether it helps in-context learning.
 *
 * Their texts are words of the classroom tokenizer (one token each); with another model's
 * tokenizer they are plain text and work like any dataset.
 */
import type { PromptTemplate } from '../abft/prompts';
import { classroomDataset } from '../classroom/datasets';
import { FAMILIES, type FamilyId, type FamilySplit, type TaskFamily } from '../classroom/families';
import type { Row } from './dataset';

/** One seed for every classroom dataset; changing it changes every row everywhere. */
export const CLASSROOM_SEED = 14;
export const CLASSROOM_CLASSES = 2;
export const CLASSROOM_POOL_ROWS = 512;
export const CLASSROOM_TEST_ROWS = 256;
/**
 * Test candidates drawn per test row: those whose text is also in the pool are dropped. The most
 * collision-prone family, word-in-filler (a key among 1-2 of 16 filler words: few texts), keeps
 * 167 of a class's 384 candidates at the fixed seed, for 128 needed; a shortfall throws rather
 * than unbalancing the classes.
 */
const CANDIDATES_PER_TEST_ROW = 3;

export type ClassroomPresetId = `classroom/${FamilyId}`;

export interface ClassroomPreset {
  readonly id: ClassroomPresetId;
  readonly family: TaskFamily;
  readonly split: FamilySplit;
  /** The family's name as the app shows it. */
  readonly name: string;
  readonly description: string;
  /**
   * Whether test queries may repeat pool texts: in word-alone a text is its key and nothing else,
   * so every query is a word the pool has (the lookup the family teaches); all others are disjoint.
   */
  readonly queriesRepeatPool: boolean;
}

export interface ClassroomPresetData {
  readonly preset: ClassroomPreset;
  readonly pool: readonly Row[];
  readonly testRows: readonly Row[];
  /** Each class's key (a word, or a category's name), index = class id. */
  readonly classNames: readonly string[];
  readonly template: PromptTemplate;
}

export const CLASSROOM_NOTE =
  'Made for the classroom model: its words are one token each of the classroom tokenizer; with another model they are read as plain text.';

function about(family: TaskFamily): string {
  const split = family.split === 'held-out' ? 'Held-out family (not in the classroom model’s pretraining)' : 'Pretraining family';
  return `${split}: ${family.rule}.`;
}

export const CLASSROOM_PRESETS: readonly ClassroomPreset[] = FAMILIES.map((family) => ({
  id: `classroom/${family.id}` as const,
  family,
  split: family.split,
  name: family.id,
  description: about(family),
  queriesRepeatPool: family.id === 'word-alone',
}));

export function isClassroomPresetId(id: string): id is ClassroomPresetId {
  return CLASSROOM_PRESETS.some((p) => p.id === id);
}

export function classroomPresetById(id: string): ClassroomPreset {
  const preset = CLASSROOM_PRESETS.find((p) => p.id === id);
  if (!preset) throw new Error(`No classroom dataset "${id}"; they are ${CLASSROOM_PRESETS.map((p) => p.id).join(', ')}.`);
  return preset;
}

/** The first `perClass` candidates of each class, in the cycling class order the pool has. */
function balanced(candidates: readonly Row[], classes: number, perClass: number, what: string): Row[] {
  const byClass = Array.from({ length: classes }, (_, c) => candidates.filter((r) => r.label === c));
  const short = byClass.findIndex((rows) => rows.length < perClass);
  if (short >= 0) throw new Error(`${what}: only ${byClass[short].length} test candidates of class ${short} are not in the pool; ${perClass} are needed.`);
  return Array.from({ length: perClass * classes }, (_, i) => byClass[i % classes][Math.floor(i / classes)]);
}

const cache = new Map<ClassroomPresetId, ClassroomPresetData>();

/** The dataset of classroom preset `id` (e.g. "classroom/word-last"): the same rows on every call and machine. */
export function classroomPresetData(id: string): ClassroomPresetData {
  const preset = classroomPresetById(id);
  const cached = cache.get(preset.id);
  if (cached) return cached;
  const task = classroomDataset(preset.family.id, {
    seed: CLASSROOM_SEED,
    classes: CLASSROOM_CLASSES,
    poolSize: CLASSROOM_POOL_ROWS,
    testSize: CLASSROOM_TEST_ROWS * CANDIDATES_PER_TEST_ROW,
  });
  const poolTexts = new Set(task.dataset.rows.map((r) => r.text));
  const candidates = preset.queriesRepeatPool ? task.testRows : task.testRows.filter((r) => !poolTexts.has(r.text));
  const data: ClassroomPresetData = {
    preset,
    pool: task.dataset.rows,
    testRows: balanced(candidates, CLASSROOM_CLASSES, CLASSROOM_TEST_ROWS / CLASSROOM_CLASSES, preset.id),
    classNames: task.keys,
    template: task.template,
  };
  cache.set(preset.id, data);
  return data;
}
