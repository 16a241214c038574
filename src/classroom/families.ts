/**
 * Task families of the classroom language: each says how a row's text is made from a hidden key
 * and how the key is read back from a text (its rule). A sequence of one family draws n keys and
 * an n-to-n mapping from keys to label words; the mapping changes every sequence, so the label of
 * a text can only be read from an earlier line whose text has the same key (an induction-head
 * lookup), never from what the model knows about the words.
 *
 * Keys are word ids (word families: the deciding word must recur verbatim) or category indices
 * (category families: any word of the category, so matching needs the categories the model has
 * learnt in its weights). Families differ in where the deciding word sits and what surrounds it;
 * their text shapes and rules are chosen so that no family's rule explains another's sequences
 * (checked by explains() in the tests), which makes the held-out split verifiable from tokens.
 */
import { CATEGORY_IDS, CATEGORY_NAMES, CATEGORY_OF, FILLER_IDS, IS_FILLER } from './vocabulary';

export type FamilyId =
  | 'word-alone'
  | 'word-first'
  | 'word-in-filler'
  | 'category-all'
  | 'category-first'
  | 'word-last'
  | 'category-last'
  | 'category-in-filler';

export type FamilySplit = 'train' | 'held-out';

export interface TaskFamily {
  readonly id: FamilyId;
  readonly split: FamilySplit;
  readonly keyKind: 'word' | 'category';
  /** What decides the label, in words (the docs and the app show it). */
  readonly rule: string;
  /** `n` distinct keys for one sequence. */
  drawKeys(random: () => number, n: number): number[];
  /** Token ids of a text whose key is `key`, one of `keys`. */
  drawText(random: () => number, key: number, keys: readonly number[]): number[];
  /** The key of `text` by this family's rule, or null when the text does not have the family's shape. */
  keyOf(text: ArrayLike<number>): number | null;
}

const below = (random: () => number, n: number) => Math.floor(random() * n);
const pick = <T>(random: () => number, items: readonly T[]): T => items[below(random, items.length)];

function distinct<T>(random: () => number, items: readonly T[], n: number): T[] {
  const pool = [...items];
  for (let i = 0; i < n; i++) {
    const j = i + below(random, pool.length - i);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}

const CATEGORY_INDICES = CATEGORY_NAMES.map((_, i) => i);

/** 1 or 2 content words of categories other than `avoid`'s: noise beside the deciding word. */
function distractors(random: () => number, avoid: readonly number[]): number[] {
  const allowed = CATEGORY_INDICES.filter((c) => !avoid.includes(c));
  return Array.from({ length: 1 + below(random, 2) }, () => pick(random, CATEGORY_IDS[pick(random, allowed)]));
}

/** 1 or 2 filler words with `word` put at a random place among them. */
function inFiller(random: () => number, word: number): number[] {
  const text = Array.from({ length: 1 + below(random, 2) }, () => pick(random, FILLER_IDS));
  text.splice(below(random, text.length + 1), 0, word);
  return text;
}

function allContent(text: ArrayLike<number>): boolean {
  for (let i = 0; i < text.length; i++) if (CATEGORY_OF[text[i]] < 0) return false;
  return true;
}

/** The word at `at` when the text is all content words, at least two, and no other word shares its category. */
function loneCategoryWord(text: ArrayLike<number>, at: number): number | null {
  if (text.length < 2 || !allContent(text)) return null;
  const category = CATEGORY_OF[text[at]];
  for (let i = 0; i < text.length; i++) if (i !== at && CATEGORY_OF[text[i]] === category) return null;
  return text[at];
}

/** The one content word of a text of filler words and exactly one content word. */
function wordAmongFiller(text: ArrayLike<number>): number | null {
  let word: number | null = null;
  for (let i = 0; i < text.length; i++) {
    if (CATEGORY_OF[text[i]] >= 0) {
      if (word !== null) return null;
      word = text[i];
    } else if (!IS_FILLER[text[i]]) return null;
  }
  return text.length >= 2 ? word : null;
}

/** Word families draw their n keys from one category, so a category rule cannot tell them apart. */
function wordsOfOneCategory(random: () => number, n: number): number[] {
  return distinct(random, CATEGORY_IDS[below(random, CATEGORY_IDS.length)], n);
}

const categoryOrNull = (word: number | null) => (word === null ? null : CATEGORY_OF[word]);

export const FAMILIES: readonly TaskFamily[] = [
  {
    id: 'word-alone',
    split: 'train',
    keyKind: 'word',
    rule: 'the text is one word; each of a few words of one category has its own label',
    drawKeys: wordsOfOneCategory,
    drawText: (_random, key) => [key],
    keyOf: (text) => (text.length === 1 && CATEGORY_OF[text[0]] >= 0 ? text[0] : null),
  },
  {
    id: 'word-first',
    split: 'train',
    keyKind: 'word',
    rule: 'the first word (one of a few words of one category) decides; 1-2 words of other categories follow',
    drawKeys: wordsOfOneCategory,
    drawText: (random, key) => [key, ...distractors(random, [CATEGORY_OF[key]])],
    keyOf: (text) => loneCategoryWord(text, 0),
  },
  {
    id: 'word-in-filler',
    split: 'train',
    keyKind: 'word',
    rule: 'the one content word among filler words decides (a few words of one category)',
    drawKeys: wordsOfOneCategory,
    drawText: (random, key) => inFiller(random, key),
    keyOf: wordAmongFiller,
  },
  {
    id: 'category-all',
    split: 'train',
    keyKind: 'category',
    rule: 'the text is 2-3 words of one category; the category decides',
    drawKeys: (random, n) => distinct(random, CATEGORY_INDICES, n),
    drawText: (random, key) => distinct(random, CATEGORY_IDS[key], 2 + below(random, 2)),
    keyOf: (text) => {
      if (text.length < 2 || !allContent(text)) return null;
      for (let i = 1; i < text.length; i++) if (CATEGORY_OF[text[i]] !== CATEGORY_OF[text[0]]) return null;
      return CATEGORY_OF[text[0]];
    },
  },
  {
    id: 'category-first',
    split: 'train',
    keyKind: 'category',
    rule: "the first word's category decides; 1-2 words of categories not in play follow",
    drawKeys: (random, n) => distinct(random, CATEGORY_INDICES, n),
    drawText: (random, key, keys) => [pick(random, CATEGORY_IDS[key]), ...distractors(random, keys)],
    keyOf: (text) => categoryOrNull(loneCategoryWord(text, 0)),
  },
  {
    id: 'word-last',
    split: 'held-out',
    keyKind: 'word',
    rule: 'the last word (one of a few words of one category) decides; 1-2 words of other categories come before',
    drawKeys: wordsOfOneCategory,
    drawText: (random, key) => [...distractors(random, [CATEGORY_OF[key]]), key],
    keyOf: (text) => loneCategoryWord(text, text.length - 1),
  },
  {
    id: 'category-last',
    split: 'held-out',
    keyKind: 'category',
    rule: "the last word's category decides; 1-2 words of categories not in play come before",
    drawKeys: (random, n) => distinct(random, CATEGORY_INDICES, n),
    drawText: (random, key, keys) => [...distractors(random, keys), pick(random, CATEGORY_IDS[key])],
    keyOf: (text) => categoryOrNull(loneCategoryWord(text, text.length - 1)),
  },
  {
    id: 'category-in-filler',
    split: 'held-out',
    keyKind: 'category',
    rule: 'the category of the one content word among filler words decides',
    drawKeys: (random, n) => distinct(random, CATEGORY_INDICES, n),
    drawText: (random, key) => inFiller(random, pick(random, CATEGORY_IDS[key])),
    keyOf: (text) => categoryOrNull(wordAmongFiller(text)),
  },
];

export function familyById(id: string): TaskFamily {
  const family = FAMILIES.find((f) => f.id === id);
  if (!family) throw new Error(`No classroom task family "${id}"; the families are ${FAMILIES.map((f) => f.id).join(', ')}.`);
  return family;
}

export const TRAIN_FAMILIES: readonly TaskFamily[] = FAMILIES.filter((f) => f.split === 'train');
export const HELD_OUT_FAMILIES: readonly TaskFamily[] = FAMILIES.filter((f) => f.split === 'held-out');

/**
 * Whether `family`'s rule explains every line: each text has the family's shape and its key maps
 * to one label and back (the sequence's mapping is one-to-one).
 */
export function explains(family: TaskFamily, lines: readonly { readonly text: ArrayLike<number>; readonly label: number }[]): boolean {
  const labelOfKey = new Map<number, number>();
  const keyOfLabel = new Map<number, number>();
  for (const line of lines) {
    const key = family.keyOf(line.text);
    if (key === null) return false;
    if ((labelOfKey.get(key) ?? line.label) !== line.label || (keyOfLabel.get(line.label) ?? key) !== key) return false;
    labelOfKey.set(key, line.label);
    keyOfLabel.set(line.label, key);
  }
  return true;
}
