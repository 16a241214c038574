/**
 * The configuration of a pretraining run (`abft pretrain --config FILE.json`): the architecture
 * and its sizes, the classroom corpus, the batch, the optimizer, the seeds and how often to log,
 * evaluate and write the folder. Every field is checked, and a bad one is named with its path in
 * the file and the value found; an unknown field is an error too (a typo would silently fall back
 * to a default otherwise). Absent optional fields take the defaults below.
 */
import { ARCHITECTURE_IDS, type Architecture } from '../model/arch';
import { familyById, TRAIN_FAMILIES, type FamilyId } from '../classroom/families';
import { GUIDANCE_TARGETS, type GuidanceTarget } from './attention-targets';
import type { AttentionGuide } from './step';

export interface PretrainConfig {
  readonly architecture: Architecture;
  readonly model: {
    readonly layers: number;
    readonly hidden: number;
    readonly heads: number;
    readonly kvHeads: number;
    readonly intermediate: number;
    readonly maxPositions: number;
    /** The LM head is the token embedding (as SmolLM2 and GPT-2). */
    readonly tied: boolean;
    /** Standard deviation of every initial matrix (HF's initializer_range). */
    readonly initStd: number;
  };
  readonly corpus: {
    readonly seed: number;
    /** Tokens per sequence, <bos> and padding included. */
    readonly length: number;
    readonly families: readonly FamilyId[];
  };
  readonly steps: number;
  readonly loss: {
    /**
     * The share of the tokens other than label words whose next-token loss counts, drawn anew each
     * step (1: plain language modelling). Below 1 the loss leans on the label words, which only the
     * context predicts, over the content words, which are random draws.
     */
    readonly otherTokens: number;
    /**
     * Losses on attention beside the next-token loss (attention-guidance.ts), each on some heads of
     * one layer, toward what attention-targets.ts names; none by default (plain language modelling).
     */
    readonly attention: readonly ConfigGuide[];
  };
  readonly batch: {
    /** Sequences per optimizer step. */
    readonly sequences: number;
    /** Sequences per GPU pass. */
    readonly microBatch: number;
  };
  readonly optimizer: {
    readonly lr: number;
    readonly warmupSteps: number;
    /**
     * The steps the cosine spans (at least `steps`; `steps` by default): longer, the run is the
     * first `steps` of a longer schedule, as a checkpoint taken partway through one.
     */
    readonly decaySteps: number;
    /** The floor the cosine decays to at step decaySteps. */
    readonly minLr: number;
    readonly weightDecay: number;
    /** Global gradient-norm clip; 0 turns clipping off. */
    readonly clip: number;
    readonly beta1: number;
    readonly beta2: number;
  };
  /** Seeds the initial weights. */
  readonly seed: number;
  /** A JSON line every this many steps (and at the last). */
  readonly logEvery: number;
  readonly eval: {
    /** Measure ICL every this many steps (and at the last); 0 only at the end. */
    readonly every: number;
    /** Sequences of each split (held-out families, train families) measured. */
    readonly sequences: number;
    /** The evaluation corpus's seed: other sequences than the training corpus's. */
    readonly seed: number;
  };
  /** Write the output folder every this many steps (and at the end); 0 only at the end. */
  readonly checkpointEvery: number;
  /** Also keep each checkpoint as its own folder, OUT-step-N beside OUT, to choose among them. */
  readonly keepCheckpoints: boolean;
}

export interface ConfigGuide extends AttentionGuide {
  readonly toward: GuidanceTarget;
}

export class PretrainConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PretrainConfigError';
  }
}

type Json = Record<string, unknown>;

/** Reads the fields of one object of the file, each named by its path for messages. */
class Fields {
  private readonly used = new Set<string>();

  constructor(
    private readonly source: string,
    private readonly path: string,
    private readonly json: Json,
  ) {}

  static of(source: string, path: string, value: unknown): Fields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new PretrainConfigError(`${source}: ${path || 'the file'} is ${JSON.stringify(value)}; it must be a JSON object`);
    }
    return new Fields(source, path, value as Json);
  }

  private name(field: string): string {
    return this.path ? `${this.path}.${field}` : field;
  }

  bad(field: string, want: string): PretrainConfigError {
    return new PretrainConfigError(`${this.source}: ${this.name(field)} is ${JSON.stringify(this.json[field])}; it must be ${want}`);
  }

  private get(field: string): unknown {
    this.used.add(field);
    return this.json[field];
  }

  object(field: string): Fields {
    const value = this.get(field);
    return Fields.of(this.source, this.name(field), value === undefined ? {} : value);
  }

  int(field: string, fallback: number | undefined, min: number): number {
    const value = this.get(field);
    if (value === undefined) {
      if (fallback === undefined) throw new PretrainConfigError(`${this.source}: ${this.name(field)} is missing; give a whole number of at least ${min}`);
      return fallback;
    }
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min) throw this.bad(field, `a whole number of at least ${min}`);
    return value;
  }

  number(field: string, fallback: number, test: (v: number) => boolean, want: string): number {
    const value = this.get(field);
    if (value === undefined) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value) || !test(value)) throw this.bad(field, want);
    return value;
  }

  bool(field: string, fallback: boolean): boolean {
    const value = this.get(field);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw this.bad(field, 'true or false');
    return value;
  }

  raw(field: string): unknown {
    return this.get(field);
  }

  /** A list of objects, each read as Fields named `path.field[i]`; empty when absent. */
  list(field: string): Fields[] {
    const value = this.get(field);
    if (value === undefined) return [];
    if (!Array.isArray(value)) throw this.bad(field, 'a list of objects');
    return value.map((v, i) => Fields.of(this.source, `${this.name(field)}[${i}]`, v));
  }

  string<T extends string>(field: string, allowed: readonly T[]): T {
    const value = this.get(field);
    if (typeof value !== 'string' || !allowed.includes(value as T)) throw this.bad(field, `one of ${allowed.join(', ')}`);
    return value as T;
  }

  ints(field: string, below: number, want: string): number[] {
    const value = this.get(field);
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => !Number.isInteger(v) || v < 0 || v >= below) || new Set(value).size !== value.length) {
      throw this.bad(field, want);
    }
    return value as number[];
  }

  /** Call after reading every field: anything else in the object is a typo or an option that does not exist. */
  done(): void {
    const unknown = Object.keys(this.json).find((k) => !this.used.has(k));
    if (unknown !== undefined) throw new PretrainConfigError(`${this.source}: ${this.name(unknown)} is not a field of a pretraining config; the fields here are ${[...this.used].join(', ')}`);
  }
}

function guides(loss: Fields, model: { readonly layers: number; readonly heads: number }): ConfigGuide[] {
  return loss.list('attention').map((g) => {
    const guide = {
      layer: g.int('layer', undefined, 0),
      heads: g.ints('heads', model.heads, `a non-empty list of distinct heads of 0..${model.heads - 1}`),
      toward: g.string('toward', GUIDANCE_TARGETS),
      weight: g.number('weight', 1, (v) => v > 0, 'a positive number such as 1'),
    };
    if (guide.layer >= model.layers) throw g.bad('layer', `a layer of the model (0..${model.layers - 1})`);
    g.done();
    return guide;
  });
}

export function parsePretrainConfig(json: unknown, source: string): PretrainConfig {
  const top = Fields.of(source, '', json);
  const arch = top.raw('architecture') ?? 'llama';
  if (typeof arch !== 'string' || !ARCHITECTURE_IDS.includes(arch as Architecture)) throw top.bad('architecture', `one of ${ARCHITECTURE_IDS.join(', ')}`);

  const m = top.object('model');
  const hidden = m.int('hidden', undefined, 1);
  const heads = m.int('heads', undefined, 1);
  if (hidden % heads !== 0) throw m.bad('heads', `a divisor of model.hidden ${hidden}`);
  if ((hidden / heads) % 2 !== 0) throw m.bad('heads', `such that hidden / heads is even (RoPE rotates pairs); hidden is ${hidden}`);
  const kvHeads = m.int('kvHeads', heads, 1);
  if (heads % kvHeads !== 0) throw m.bad('kvHeads', `a divisor of model.heads ${heads}`);
  const model = {
    layers: m.int('layers', undefined, 1),
    hidden,
    heads,
    kvHeads,
    intermediate: m.int('intermediate', 4 * hidden, 1),
    maxPositions: m.int('maxPositions', 0, 0),
    tied: m.bool('tied', true),
    initStd: m.number('initStd', 0.02, (v) => v > 0, 'a positive number such as 0.02'),
  };
  m.done();

  const c = top.object('corpus');
  const length = c.int('length', undefined, 16);
  if (model.maxPositions === 0) model.maxPositions = length;
  if (model.maxPositions < length) throw m.bad('maxPositions', `at least corpus.length ${length}`);
  const familiesRaw = c.raw('families');
  let families: FamilyId[];
  if (familiesRaw === undefined) families = TRAIN_FAMILIES.map((f) => f.id);
  else {
    if (!Array.isArray(familiesRaw) || familiesRaw.length === 0) throw c.bad('families', 'a non-empty list of task family ids');
    families = familiesRaw.map((id) => {
      try {
        return familyById(String(id)).id;
      } catch (error) {
        throw new PretrainConfigError(`${source}: corpus.families: ${(error as Error).message}`);
      }
    });
  }
  const corpus = { seed: c.int('seed', 0, 0), length, families };
  c.done();

  const steps = top.int('steps', undefined, 1);
  const l = top.object('loss');
  const loss = { otherTokens: l.number('otherTokens', 1, (v) => v >= 0 && v <= 1, 'between 0 and 1'), attention: guides(l, model) };
  l.done();
  const b = top.object('batch');
  const sequences = b.int('sequences', 8, 1);
  const batch = { sequences, microBatch: b.int('microBatch', sequences, 1) };
  b.done();

  const o = top.object('optimizer');
  const lr = o.number('lr', 1e-3, (v) => v > 0, 'a positive number such as 1e-3');
  const warmupSteps = o.int('warmupSteps', Math.min(100, steps - 1), 0);
  if (warmupSteps >= steps) throw o.bad('warmupSteps', `fewer than steps (${steps})`);
  const optimizer = {
    lr,
    warmupSteps,
    decaySteps: o.int('decaySteps', steps, steps),
    minLr: o.number('minLr', lr / 10, (v) => v >= 0 && v <= lr, `between 0 and optimizer.lr (${lr})`),
    weightDecay: o.number('weightDecay', 0.1, (v) => v >= 0, 'a number of 0 or more'),
    clip: o.number('clip', 1, (v) => v >= 0, 'a number of 0 or more (0: no clipping)'),
    beta1: o.number('beta1', 0.9, (v) => v >= 0 && v < 1, 'in [0, 1)'),
    beta2: o.number('beta2', 0.95, (v) => v >= 0 && v < 1, 'in [0, 1)'),
  };
  o.done();

  const seed = top.int('seed', 0, 0);
  const logEvery = top.int('logEvery', 1, 1);
  const ev = top.object('eval');
  const evaluation = { every: ev.int('every', 0, 0), sequences: ev.int('sequences', 32, 1), seed: ev.int('seed', corpus.seed + 1000, 0) };
  if (evaluation.seed === corpus.seed) throw ev.bad('seed', `another seed than corpus.seed (${corpus.seed}): the same seed measures the sequences trained on`);
  ev.done();
  const checkpointEvery = top.int('checkpointEvery', 0, 0);
  const keepCheckpoints = top.bool('keepCheckpoints', false);
  top.done();
  return { architecture: arch as Architecture, model, corpus, steps, loss, batch, optimizer, seed, logEvery, eval: evaluation, checkpointEvery, keepCheckpoints };
}
