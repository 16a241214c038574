/**
 * `npm run bench` options: the shapes by default (pseudo-batch 32 of 128 tokens, the three
 * measured models, every task); smaller ones for slow adapters. Bad values are a BenchUsageError
 * naming the option and what it accepts.
 */
import { InputError } from '../data/dataset';
import { KNOWN_CONFIGS } from '../model/known-configs';
import type { FrozenDType } from '../model/memory';
import { BENCH_TASKS, type BenchTask } from './flops';

export const BENCH_USAGE = `usage: node dist-node/bench.mjs [options]   (npm run bench -- [options])
  --models LIST        ${Object.keys(KNOWN_CONFIGS).join(', ')} (default gpt2-124M,SmolLM2-135M,gpt2-large)
  --tasks LIST         abft, eval, end-to-end (default all three)
  --pseudo-batch N     prompts per step (default 32)
  --micro-batch N      prompts per GPU pass (default 8, lowered where the activations would not fit)
  --activation-budget-mib N  activations a training micro-batch may keep (default 1024, the app's)
  --tokens N           tokens per prompt (default 128)
  --warmup N           steps run before timing (default 1)
  --reps N             timed steps (default 5)
  --frozen f32|f16     storage of the frozen weights (v, o, MLP; default f16 where the adapter has shader-f16, as the app, else f32)
  --no-profile         skip the per-kernel profile (one extra run after the timed ones; GPU timestamps where the adapter has them)
  --out FILE           also write the JSON document to FILE
Prints one JSON document; see README "Performance".`;

export interface BenchOptions {
  readonly models: readonly string[];
  readonly tasks: readonly BenchTask[];
  readonly pseudoBatch: number;
  readonly microBatch: number;
  /** Null: the trainer's default. */
  readonly activationBudgetMiB: number | null;
  readonly tokens: number;
  readonly warmup: number;
  readonly reps: number;
  readonly profile: boolean;
  /** Null: f16 where the adapter has shader-f16, else f32 (`benchFrozenDType`). */
  readonly frozen: FrozenDType | null;
  readonly out: string | null;
}

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  models: ['gpt2-124M', 'SmolLM2-135M', 'gpt2-large'],
  tasks: BENCH_TASKS,
  pseudoBatch: 32,
  microBatch: 8,
  activationBudgetMiB: null,
  tokens: 128,
  warmup: 1,
  reps: 5,
  profile: true,
  frozen: null,
  out: null,
};

export class BenchUsageError extends InputError {
  constructor(message: string) {
    super(`${message}\n\n${BENCH_USAGE}`);
    this.name = 'BenchUsageError';
  }
}

export function parseBenchArgs(argv: readonly string[]): BenchOptions | 'help' {
  let o: BenchOptions = DEFAULT_BENCH_OPTIONS;
  const count = (name: string, v: string | undefined, min: number): number => {
    const n = Number(v);
    if (v === undefined || !Number.isInteger(n) || n < min) throw new BenchUsageError(`${name} is ${v ?? 'missing its value'}; it takes a whole number of at least ${min}`);
    return n;
  };
  const list = (name: string, v: string | undefined, allowed: readonly string[]): string[] => {
    const items = (v ?? '').split(',').filter((s) => s !== '');
    if (items.length === 0) throw new BenchUsageError(`${name} needs a comma-separated list from: ${allowed.join(', ')}`);
    for (const item of items) if (!allowed.includes(item)) throw new BenchUsageError(`${name}: unknown ${item}; known: ${allowed.join(', ')}`);
    return items;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i];
    switch (arg) {
      case '--help':
      case '-h':
        return 'help';
      case '--models':
        o = { ...o, models: list(arg, value(), Object.keys(KNOWN_CONFIGS)) };
        break;
      case '--tasks':
        o = { ...o, tasks: list(arg, value(), BENCH_TASKS) as BenchTask[] };
        break;
      case '--pseudo-batch':
        o = { ...o, pseudoBatch: count(arg, value(), 1) };
        break;
      case '--micro-batch':
        o = { ...o, microBatch: count(arg, value(), 1) };
        break;
      case '--activation-budget-mib':
        o = { ...o, activationBudgetMiB: count(arg, value(), 1) };
        break;
      case '--tokens':
        o = { ...o, tokens: count(arg, value(), 16) };
        break;
      case '--warmup':
        o = { ...o, warmup: count(arg, value(), 0) };
        break;
      case '--reps':
        o = { ...o, reps: count(arg, value(), 1) };
        break;
      case '--no-profile':
        o = { ...o, profile: false };
        break;
      case '--frozen': {
        const dtype = value();
        if (dtype !== 'f32' && dtype !== 'f16') throw new BenchUsageError(`--frozen is ${dtype ?? 'missing its value'}; it takes f32 or f16`);
        o = { ...o, frozen: dtype };
        break;
      }
      case '--out': {
        const file = value();
        if (!file) throw new BenchUsageError('--out needs a file name');
        o = { ...o, out: file };
        break;
      }
      default:
        throw new BenchUsageError(`unknown option ${arg}`);
    }
  }
  return o;
}
