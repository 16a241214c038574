/**
 * The evaluation suite of ABFT-SPEC.md §5: test accuracy / macro-F1, demonstration consistency
 * (8 demonstration sets per query), template consistency (the 9 `templateVariants`) and
 * unseen-label accuracy. Every prompt is drawn from the seed alone, so running the suite before
 * and after training scores vanilla ICL and the fine-tuned model on identical prompts; each result
 * carries a fingerprint of its prompts so `compareReports` can refuse to compare different ones.
 */
import { InputError, type Row } from '../data/dataset';
import type { Engine } from '../engine/engine';
import type { LoadedModel } from '../model/load';
import type { ModelTokenizer } from '../model/tokenizer';
import { evaluate, predict } from './evaluate';
import { consistency } from './metrics';
import { preparePrompts, type PreparedPrompt } from './prepared';
import { LABEL_SCORINGS, labelTargets, type LabelScoring, type LabelTargets } from './label-scoring';
import { templateVariants, type PromptTemplate } from './prompts';
import { buildTestSet, demonstrationSets, unseenLabelPrompts, type PromptDraw } from './sampling';

export interface SuiteMeasures {
  readonly test: boolean;
  readonly demonstrationConsistency: boolean;
  readonly templateConsistency: boolean;
  readonly unseenLabel: boolean;
}

export type SuiteMeasure = keyof SuiteMeasures;

/** The measures in the order runSuite scores them. */
export const SUITE_MEASURES: readonly SuiteMeasure[] = ['test', 'demonstrationConsistency', 'templateConsistency', 'unseenLabel'];

export interface SuiteData {
  readonly queries: readonly Row[];
  /** Demonstrations come from here, never from the queries. */
  readonly demoPool: readonly Row[];
}

export interface SuitePrepareOptions {
  readonly k: number;
  readonly seed: number;
  /** The first this many queries feed the consistency measures, which cost 8 and 9 prompts per query. Default 64. */
  readonly queriesForConsistency?: number;
  /** Demonstration sets per test query. Default 2, the paper's 512 queries × 2 = 1024 prompts. */
  readonly testSetsPerQuery?: number;
  readonly measures: SuiteMeasures;
  readonly labelScoring: LabelScoring;
  /** The model's context length; a longer prompt is an input error. */
  readonly maxPositions: number;
}

export interface SuiteRunOptions {
  readonly microBatch: number;
  readonly onProgress?: (measure: SuiteMeasure, done: number, total: number) => void;
}

export type SuiteOptions = Omit<SuitePrepareOptions, 'maxPositions'> & SuiteRunOptions;

/** The suite's prompts, tokenized once; a measure not asked for is null. */
export interface SuitePrompts {
  readonly labels: LabelTargets;
  readonly test: readonly PreparedPrompt[] | null;
  /** Per query, its prompts under each demonstration set / each template. */
  readonly demonstrationConsistency: readonly (readonly PreparedPrompt[])[] | null;
  readonly templateConsistency: readonly (readonly PreparedPrompt[])[] | null;
  readonly unseenLabel: readonly PreparedPrompt[] | null;
}

interface Fingerprinted {
  /** Hash of the token ids and gold labels scored and of how the labels are scored; equal fingerprints mean the same prompts, scored alike. */
  readonly prompts: string;
}

export interface ConsistencyResult extends Fingerprinted {
  readonly consistency: number;
  readonly queries: number;
  readonly variantsPerQuery: number;
}

export interface SuiteReport {
  readonly test: (Fingerprinted & { readonly accuracy: number; readonly macroF1: number; readonly confusion: number[][]; readonly count: number }) | null;
  readonly demonstrationConsistency: ConsistencyResult | null;
  readonly templateConsistency: ConsistencyResult | null;
  readonly unseenLabel: (Fingerprinted & { readonly accuracy: number; readonly count: number }) | null;
}

/** after − before of each measure both reports have; null where either lacks it. */
export interface ReportDelta {
  readonly test: { readonly accuracy: number; readonly macroF1: number } | null;
  readonly demonstrationConsistency: number | null;
  readonly templateConsistency: number | null;
  readonly unseenLabel: number | null;
}

/** Demonstration sets per query for demonstration consistency (Table 3). */
export const DEMONSTRATION_SETS = 8;

/** Independent seeds per measure (and per query) from the one seed the user gives: FNV-1a over the parts. */
function mixSeed(...parts: number[]): number {
  let h = 2166136261;
  for (const p of parts) h = Math.imul(h ^ (p >>> 0), 16777619) >>> 0;
  return h;
}

const MEASURE_SEED: Readonly<Record<SuiteMeasure, number>> = { test: 1, demonstrationConsistency: 2, templateConsistency: 3, unseenLabel: 4 };

export function prepareSuite(tokenizer: ModelTokenizer, template: PromptTemplate, data: SuiteData, opts: SuitePrepareOptions): SuitePrompts {
  const { k, seed, measures } = opts;
  if (data.queries.length === 0) throw new InputError('There are no test queries; the evaluation needs at least one.');
  const consistencyCount = opts.queriesForConsistency ?? 64;
  if (!Number.isInteger(consistencyCount) || consistencyCount < 1) {
    throw new InputError(`The number of queries for the consistency measures is ${consistencyCount}; it must be a whole number of at least 1.`);
  }
  const few = data.queries.slice(0, consistencyCount);
  const prepare = (t: PromptTemplate, draws: readonly PromptDraw[], what: string) =>
    preparePrompts(tokenizer, t, draws, { maxPositions: opts.maxPositions, what });
  const measureSeed = (m: SuiteMeasure) => mixSeed(seed, MEASURE_SEED[m]);

  // One demonstration set per query, written with each template: only the wording changes.
  const templateGroups = () => {
    const draws = buildTestSet(few, data.demoPool, 1, k, measureSeed('templateConsistency'));
    const runs = templateVariants(template).map((variant, t) => prepare(variant, draws, `template-consistency prompt (template ${t + 1})`));
    return few.map((_, q) => runs.map((run) => run[q]));
  };
  return {
    // The variants keep the label words and end in a space like the paper's prefixes, so the base template's tokens serve all of them.
    labels: labelTargets(tokenizer, template, opts.labelScoring),
    test: measures.test ? prepare(template, buildTestSet(data.queries, data.demoPool, opts.testSetsPerQuery ?? 2, k, measureSeed('test')), 'test prompt') : null,
    demonstrationConsistency: measures.demonstrationConsistency
      ? few.map((query, q) =>
          prepare(template, demonstrationSets(query, data.demoPool, DEMONSTRATION_SETS, k, mixSeed(measureSeed('demonstrationConsistency'), q)), `demonstration-consistency prompt (query ${q + 1})`),
        )
      : null,
    templateConsistency: measures.templateConsistency ? templateGroups() : null,
    unseenLabel: measures.unseenLabel ? prepare(template, unseenLabelPrompts(data.queries, data.demoPool, k, measureSeed('unseenLabel')), 'unseen-label prompt') : null,
  };
}

function fingerprint(prompts: readonly PreparedPrompt[], labels: LabelTargets): string {
  let h = 2166136261;
  const rule = LABEL_SCORINGS.indexOf(labels.scoring);
  for (const v of [rule, ...labels.tokens.flatMap((ids) => [ids.length, ...ids])]) h = Math.imul(h ^ v, 16777619) >>> 0;
  for (const p of prompts) {
    for (const v of [p.gold, p.ids.length, ...p.ids]) h = Math.imul(h ^ v, 16777619) >>> 0;
  }
  return `${prompts.length}:${h.toString(16).padStart(8, '0')}`;
}

export async function runSuite(e: Engine, model: LoadedModel, prompts: SuitePrompts, opts: SuiteRunOptions): Promise<SuiteReport> {
  const { labels } = prompts;
  const progress = (measure: SuiteMeasure) => ({
    microBatch: opts.microBatch,
    onProgress: opts.onProgress && ((done: number, total: number) => opts.onProgress!(measure, done, total)),
  });
  const grouped = async (measure: SuiteMeasure, groups: readonly (readonly PreparedPrompt[])[] | null): Promise<ConsistencyResult | null> => {
    if (!groups) return null;
    // One flat run so micro-batches stay full across queries; then back into one group per query.
    const flat = groups.flat();
    const { predictions } = await predict(e, model, flat, labels, progress(measure));
    let at = 0;
    const byQuery = groups.map((g) => predictions.slice(at, (at += g.length)));
    return { consistency: consistency(byQuery), queries: groups.length, variantsPerQuery: groups[0]?.length ?? 0, prompts: fingerprint(flat, labels) };
  };

  let test: SuiteReport['test'] = null;
  if (prompts.test) {
    const r = await evaluate(e, model, prompts.test, labels, progress('test'));
    test = { accuracy: r.accuracy, macroF1: r.macroF1, confusion: r.confusion, count: r.count, prompts: fingerprint(prompts.test, labels) };
  }
  const demonstrationConsistency = await grouped('demonstrationConsistency', prompts.demonstrationConsistency);
  const templateConsistency = await grouped('templateConsistency', prompts.templateConsistency);
  let unseenLabel: SuiteReport['unseenLabel'] = null;
  if (prompts.unseenLabel) {
    const r = await evaluate(e, model, prompts.unseenLabel, labels, progress('unseenLabel'));
    unseenLabel = { accuracy: r.accuracy, count: r.count, prompts: fingerprint(prompts.unseenLabel, labels) };
  }
  return { test, demonstrationConsistency, templateConsistency, unseenLabel };
}

/** Prepares the suite's prompts and scores them; call it with the same data and seed before and after training. */
export async function evaluationSuite(
  e: Engine,
  model: LoadedModel,
  tokenizer: ModelTokenizer,
  template: PromptTemplate,
  data: SuiteData,
  opts: SuiteOptions,
): Promise<SuiteReport> {
  const prompts = prepareSuite(tokenizer, template, data, { ...opts, maxPositions: model.spec.maxPositions });
  return runSuite(e, model, prompts, opts);
}

export function compareReports(before: SuiteReport, after: SuiteReport): ReportDelta {
  const pair = <T extends Fingerprinted>(measure: SuiteMeasure, a: T | null, b: T | null): [T, T] | null => {
    if (!a || !b) return null;
    if (a.prompts !== b.prompts) {
      throw new Error(`The two reports scored different ${measure} prompts (${a.prompts} vs ${b.prompts}); run both with the same data, k, seed and label scoring to compare them.`);
    }
    return [a, b];
  };
  const test = pair('test', before.test, after.test);
  const demos = pair('demonstrationConsistency', before.demonstrationConsistency, after.demonstrationConsistency);
  const templates = pair('templateConsistency', before.templateConsistency, after.templateConsistency);
  const unseen = pair('unseenLabel', before.unseenLabel, after.unseenLabel);
  return {
    test: test && { accuracy: test[1].accuracy - test[0].accuracy, macroF1: test[1].macroF1 - test[0].macroF1 },
    demonstrationConsistency: demos && demos[1].consistency - demos[0].consistency,
    templateConsistency: templates && templates[1].consistency - templates[0].consistency,
    unseenLabel: unseen && unseen[1].accuracy - unseen[0].accuracy,
  };
}
