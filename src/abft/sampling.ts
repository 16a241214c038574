/**
 * Which rows make up each prompt (ABFT-SPEC.md §2), drawn with a seeded generator so a run can be
 * repeated exactly: training prompts from one pool, fixed test prompts from separate query and
 * demonstration pools, and the evaluation variants (8 demonstration sets per query for
 * demonstration consistency, demonstrations that avoid the query's label for "unseen label"
 * accuracy). A draw holds rows, not text, so the same draws can be written with any template.
 */
import { checkRows, InputError, type Row } from '../data/dataset';
import { plural } from '../data/plural';
import { rng } from '../engine/random';

export interface PromptDraw {
  readonly demonstrations: readonly Row[];
  readonly query: Row;
  /** Indices of the demonstrations in the pool they came from. */
  readonly demonstrationIndices: readonly number[];
  /** Index of the query in its pool or query list; absent when the caller passed the query itself. */
  readonly queryIndex?: number;
}

function checkCount(value: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min) {
    throw new InputError(`${what} is ${value}; it must be a whole number of at least ${min}.`);
  }
}

function checkPool(pool: readonly Row[], name: string, needed: number, why: string): void {
  if (pool.length < needed) {
    const what = pool.length === 0 ? 'is empty' : `has only ${plural(pool.length, 'row')}`;
    throw new InputError(`The ${name} ${what}, but ${why} needs ${needed} distinct rows; add rows or lower k.`);
  }
  checkRows(pool, null, name);
}

/**
 * `n` distinct indices, in draw order, below `from` or out of the list `from`. Rejection keeps it
 * O(n) for the usual k + 1 ≪ pool size and still ends quickly when n is close to the size.
 */
function distinctIndices(random: () => number, from: number | readonly number[], n: number): number[] {
  const size = typeof from === 'number' ? from : from.length;
  const picked = new Set<number>();
  while (picked.size < n) {
    const drawn = Math.floor(random() * size);
    picked.add(typeof from === 'number' ? drawn : from[drawn]);
  }
  return [...picked];
}

/** `count` training prompts, each k + 1 distinct rows of `pool`: k demonstrations, then the query. */
export function sampleTrainingPrompts(pool: readonly Row[], count: number, k: number, seed: number): PromptDraw[] {
  checkCount(k, 'The number of demonstrations k', 1);
  checkCount(count, 'The number of training prompts', 0);
  checkPool(pool, 'training pool', k + 1, `a prompt of k = ${k} demonstrations and a query`);
  const random = rng(seed);
  return Array.from({ length: count }, () => {
    const indices = distinctIndices(random, pool.length, k + 1);
    const queryIndex = indices[k];
    const demonstrationIndices = indices.slice(0, k);
    return { demonstrations: demonstrationIndices.map((i) => pool[i]), query: pool[queryIndex], demonstrationIndices, queryIndex };
  });
}

/** `sets` draws of k distinct demonstrations from `demoPool` for one query. */
function drawsFor(
  query: Row,
  queryIndex: number | undefined,
  demoPool: readonly Row[],
  sets: number,
  k: number,
  random: () => number,
  allowed: readonly number[] | null = null,
): PromptDraw[] {
  return Array.from({ length: sets }, () => {
    const demonstrationIndices = distinctIndices(random, allowed ?? demoPool.length, k);
    return { demonstrations: demonstrationIndices.map((i) => demoPool[i]), query, demonstrationIndices, queryIndex };
  });
}

/** The fixed test prompts: for each query in order, `setsPerQuery` demonstration sets (512 × 2 = 1024 in the paper). */
export function buildTestSet(queries: readonly Row[], demoPool: readonly Row[], setsPerQuery: number, k: number, seed: number): PromptDraw[] {
  checkCount(k, 'The number of demonstrations k', 1);
  checkCount(setsPerQuery, 'The number of demonstration sets per query', 1);
  checkRows(queries, null, 'test queries');
  checkPool(demoPool, 'demonstration pool', k, `a prompt of k = ${k} demonstrations`);
  const random = rng(seed);
  return queries.flatMap((query, q) => drawsFor(query, q, demoPool, setsPerQuery, k, random));
}

/** `sets` demonstration sets for one query (8 for demonstration consistency); pass a different seed per query for independent sets. */
export function demonstrationSets(query: Row, demoPool: readonly Row[], sets: number, k: number, seed: number): PromptDraw[] {
  checkCount(k, 'The number of demonstrations k', 1);
  checkCount(sets, 'The number of demonstration sets', 1);
  checkRows([query], null, 'query');
  checkPool(demoPool, 'demonstration pool', k, `a prompt of k = ${k} demonstrations`);
  return drawsFor(query, undefined, demoPool, sets, k, rng(seed));
}

/** One prompt per query whose k demonstrations all have labels other than the query's (App. A.4). */
export function unseenLabelPrompts(queries: readonly Row[], demoPool: readonly Row[], k: number, seed: number): PromptDraw[] {
  checkCount(k, 'The number of demonstrations k', 1);
  checkRows(queries, null, 'test queries');
  checkPool(demoPool, 'demonstration pool', k, `a prompt of k = ${k} demonstrations`);
  const byLabel = new Map<number, number[]>();
  const random = rng(seed);
  return queries.flatMap((query, q) => {
    let others = byLabel.get(query.label);
    if (!others) {
      others = demoPool.flatMap((row, i) => (row.label === query.label ? [] : [i]));
      byLabel.set(query.label, others);
    }
    if (others.length < k) {
      throw new InputError(
        `Only ${plural(others.length, 'row')} of the demonstration pool ${others.length === 1 ? 'has' : 'have'} a label other than ${query.label} (test query ${q}'s), but an unseen-label prompt needs k = ${k}; add rows of other classes or lower k.`,
      );
    }
    return drawsFor(query, q, demoPool, 1, k, random, others);
  });
}
