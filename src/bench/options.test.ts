import { describe, expect, it } from 'vitest';
import { DEFAULT_BENCH_OPTIONS, parseBenchArgs } from './options';
import { benchLabelPositions, benchPrompts } from './prompts';
import { summarize } from './stats';

describe('parseBenchArgs', () => {
  it("defaults to the issue's shapes: 32 prompts of 128 tokens, the three measured models, every task", () => {
    expect(parseBenchArgs([])).toEqual(DEFAULT_BENCH_OPTIONS);
    expect(DEFAULT_BENCH_OPTIONS).toMatchObject({ pseudoBatch: 32, tokens: 128, models: ['gpt2-124M', 'SmolLM2-135M', 'gpt2-large'], tasks: ['abft', 'eval', 'end-to-end'] });
  });

  it('reads reduced shapes for slow adapters', () => {
    const o = parseBenchArgs(['--models', 'gpt2-large', '--tasks', 'abft,eval', '--pseudo-batch', '2', '--tokens', '64', '--reps', '1', '--warmup', '0', '--no-profile', '--frozen', 'f32', '--out', 'x.json']);
    expect(o).toEqual({ ...DEFAULT_BENCH_OPTIONS, models: ['gpt2-large'], tasks: ['abft', 'eval'], pseudoBatch: 2, tokens: 64, reps: 1, warmup: 0, profile: false, frozen: 'f32', out: 'x.json' });
    expect(DEFAULT_BENCH_OPTIONS.frozen).toBeNull();
  });

  it('names the bad option and what it accepts', () => {
    expect(() => parseBenchArgs(['--models', 'gpt5'])).toThrow(/--models: unknown gpt5; known: gpt2-124M/);
    expect(() => parseBenchArgs(['--tasks', 'train'])).toThrow(/--tasks: unknown train; known: abft, eval, end-to-end/);
    expect(() => parseBenchArgs(['--reps', '0'])).toThrow(/--reps is 0; it takes a whole number of at least 1/);
    expect(() => parseBenchArgs(['--tokens', '8'])).toThrow(/--tokens is 8; it takes a whole number of at least 16/);
    expect(() => parseBenchArgs(['--pseudo-batch'])).toThrow(/--pseudo-batch is missing its value/);
    expect(() => parseBenchArgs(['--fast'])).toThrow(/unknown option --fast/);
    expect(() => parseBenchArgs(['--frozen', 'bf16'])).toThrow(/--frozen is bf16; it takes f32 or f16/);
    expect(parseBenchArgs(['--help'])).toBe('help');
  });
});

describe('benchPrompts', () => {
  it('gives prompts of exactly the asked length with k label positions split into I+ and I-', () => {
    const prompts = benchPrompts(5, 128, 1000);
    for (const p of prompts) {
      expect(p.ids).toHaveLength(128);
      expect(p.ids.every((id) => id >= 0 && id < 1000)).toBe(true);
      expect([...p.plus, ...p.minus].sort((a, b) => a - b)).toEqual(benchLabelPositions(128));
      expect(p.plus.length).toBe(p.demonstrationLabels.filter((l) => l === p.gold).length);
    }
    expect(benchLabelPositions(128)).toEqual([24, 48, 72, 96]);
    expect(benchPrompts(5, 128, 1000)).toEqual(prompts);
  });
});

describe('summarize', () => {
  it('gives the median (mean of the middle two for an even count) and the relative half-range', () => {
    expect(summarize([30, 10, 20])).toEqual({ median: 20, min: 10, max: 30, spread: 0.5, samples: [30, 10, 20] });
    expect(summarize([4, 2]).median).toBe(3);
    expect(() => summarize([])).toThrow(/no samples/);
  });
});
