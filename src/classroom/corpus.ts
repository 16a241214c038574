/**
 * The pretraining corpus: fixed-length token sequences, each one many-shot in-context episode of
 * one task family, `<bos>` then lines `<input prefix> text <label prefix> label <separator>` until
 * the next line would not fit, then `<pad>`. Sequence i depends only on (seed, i), so any slice of
 * the corpus can be made on its own, in any order, and is the same every time.
 *
 * labelMask marks each label token: 1 when its key has not been seen earlier in the sequence
 * (its word is a guess among the unused labels), 2 when an earlier line with the same key gives
 * it away; pretraining can weight the loss on those, and evaluation reads accuracy there.
 */
import { rng } from '../engine/random';
import { TRAIN_FAMILIES, type TaskFamily } from './families';
import { FRAMES, MAIN_FRAME, type Frame } from './frames';
import { IDS, LABEL_IDS } from './vocabulary';

export const UNSEEN_LABEL = 1;
export const RECOVERABLE_LABEL = 2;

export interface CorpusOptions {
  readonly seed: number;
  /** Tokens per sequence, <bos> and padding included. */
  readonly length: number;
  /** Families to draw from, uniformly (list one twice to weight it); the train split unless given. */
  readonly families?: readonly TaskFamily[];
  /** Classes per sequence, drawn uniformly from [minClasses, maxClasses]; default 2..4. */
  readonly minClasses?: number;
  readonly maxClasses?: number;
  /** Probability that a sequence uses one of the eight reworded frames instead of the main one; default 0.2. */
  readonly frameVariety?: number;
}

export interface SequenceInfo {
  readonly family: TaskFamily;
  /** The sequence's keys, index = class. */
  readonly keys: readonly number[];
  /** The label token of each class. */
  readonly labelIds: readonly number[];
  readonly frame: Frame;
  /** Position of each line's label token. */
  readonly labelPositions: readonly number[];
}

function sequenceSeed(seed: number, index: number): number {
  return (Math.imul(seed ^ 0x5bd1e995, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca77)) >>> 0;
}

/**
 * Writes sequence `index` into tokens[offset, offset + length) and its label marks into labelMask,
 * and returns what it drew.
 */
export function writeSequence(opts: CorpusOptions, index: number, tokens: Int32Array, labelMask: Uint8Array, offset: number): SequenceInfo {
  const { length } = opts;
  const families = opts.families ?? TRAIN_FAMILIES;
  const minClasses = opts.minClasses ?? 2;
  const maxClasses = opts.maxClasses ?? 4;
  const random = rng(sequenceSeed(opts.seed, index));
  const below = (n: number) => Math.floor(random() * n);

  const family = families[below(families.length)];
  const n = minClasses + below(maxClasses - minClasses + 1);
  const keys = family.drawKeys(random, n);
  const labels = [...LABEL_IDS];
  for (let i = 0; i < n; i++) {
    const j = i + below(labels.length - i);
    [labels[i], labels[j]] = [labels[j], labels[i]];
  }
  const labelIds = labels.slice(0, n);
  const frame = random() < (opts.frameVariety ?? 0.2) ? FRAMES[1 + below(FRAMES.length - 1)] : MAIN_FRAME;

  const end = offset + length;
  labelMask.fill(0, offset, end);
  let at = offset;
  tokens[at++] = IDS.bos;
  const seen = new Uint8Array(n);
  const labelPositions: number[] = [];
  for (;;) {
    const k = below(n);
    const text = family.drawText(random, keys[k], keys);
    if (at + text.length + 4 > end) break;
    tokens[at++] = frame.inputPrefix;
    for (const id of text) tokens[at++] = id;
    tokens[at++] = frame.labelPrefix;
    labelMask[at] = seen[k] ? RECOVERABLE_LABEL : UNSEEN_LABEL;
    labelPositions.push(at - offset);
    tokens[at++] = labelIds[k];
    tokens[at++] = frame.separator;
    seen[k] = 1;
  }
  tokens.fill(IDS.pad, at, end);
  return { family, keys, labelIds, frame, labelPositions };
}

export interface CorpusChunk {
  readonly length: number;
  readonly count: number;
  /** count × length token ids, row-major. */
  readonly tokens: Int32Array;
  /** count × length: 0, UNSEEN_LABEL or RECOVERABLE_LABEL. */
  readonly labelMask: Uint8Array;
  readonly info: readonly SequenceInfo[];
}

/** Sequences first, first + 1, …, first + count - 1 of the corpus `opts` defines. */
export function corpusChunk(opts: CorpusOptions, first: number, count: number): CorpusChunk {
  if (!Number.isInteger(opts.length) || opts.length < 16) throw new Error(`A classroom sequence needs at least 16 tokens; got length ${opts.length}.`);
  const tokens = new Int32Array(count * opts.length);
  const labelMask = new Uint8Array(count * opts.length);
  const info = Array.from({ length: count }, (_, i) => writeSequence(opts, first + i, tokens, labelMask, i * opts.length));
  return { length: opts.length, count, tokens, labelMask, info };
}
