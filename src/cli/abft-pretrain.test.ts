import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HELD_OUT_FAMILIES } from '../classroom/families';
import { VOCAB_SIZE } from '../classroom/vocabulary';
import { testEngine } from '../engine/testing/gpu';
import { nodeFolder } from '../model/files-node';
import { loadModel, releaseModel } from '../model/load';
import { measureIcl } from '../pretrain/icl-eval';
import { runAbft } from './testing/run-abft';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'abft-pretrain-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** A run of a few steps at tiny shapes: 1 layer, hidden 16, 2 heads, 32-token sequences. */
const TINY = {
  architecture: 'llama',
  model: { layers: 1, hidden: 16, heads: 2, intermediate: 32 },
  corpus: { seed: 3, length: 32 },
  steps: 3,
  batch: { sequences: 3, microBatch: 2 },
  optimizer: { lr: 3e-3, warmupSteps: 1 },
  eval: { every: 2, sequences: 3 },
};

async function configFile(name: string, config: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

describe('abft pretrain', () => {
  it('pretrains from the seed, logs each step and evaluation, and writes a model folder that loads back with the same ICL measure', async () => {
    const out = join(dir, 'run');
    const { code, out: lines, err } = await runAbft('pretrain', '--config', await configFile('tiny.json', TINY), '--out', out);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const parsed = lines.map((l) => JSON.parse(l));
    const steps = parsed.filter((l) => 'loss' in l);
    const evals = parsed.filter((l) => 'eval' in l);
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    for (const s of steps) expect(Object.keys(s)).toEqual(['step', 'loss', 'lr', 'gradNorm', 'tokens', 'ms']);
    // A pretraining init starts near the uniform guess over the 177 words.
    expect(Math.abs(steps[0].loss - Math.log(VOCAB_SIZE))).toBeLessThan(0.3);
    expect(steps[0].lr).toBeCloseTo(3e-3, 12);
    expect(steps[2].tokens).toBeGreaterThan(steps[1].tokens);
    // Before training, at step 2 (every), and at the last step.
    expect(evals.map((l) => l.step)).toEqual([0, 2, 3]);
    expect(Object.keys(evals[0].eval)).toEqual(['heldOut', 'train']);
    expect(evals[0].eval.heldOut.recoverable.total + evals[0].eval.heldOut.unseen.total).toBeGreaterThan(0);
    // Copying one of the 2 to 4 labels of a sequence is right at least 1 time in 4; the same sequences at every evaluation.
    expect(evals[0].eval.heldOut.copyBaseline).toBeGreaterThanOrEqual(0.25);
    expect(evals[0].eval.heldOut.copyBaseline).toBeLessThanOrEqual(1);
    expect(evals[2].eval.heldOut.copyBaseline).toBe(evals[0].eval.heldOut.copyBaseline);
    expect(parsed.at(-1)).toMatchObject({ done: true, stepsDone: 3, stoppedEarly: null, out });

    expect((await readdir(out)).sort()).toEqual(['config.json', 'model.safetensors', 'pretrain-log.json', 'tokenizer.json', 'tokenizer_config.json']);
    const log = JSON.parse(await readFile(join(out, 'pretrain-log.json'), 'utf8'));
    expect(log.losses).toEqual(steps.map((s) => s.loss));
    expect(log.tokensSeen).toBe(steps[2].tokens);
    expect(log.config.corpus.families).toEqual(['word-alone', 'word-first', 'word-in-filler', 'category-all', 'category-first']);
    expect(typeof log.adapter).toBe('string');

    // The folder is a model like any other: it loads, tokenizes the classroom language, and its
    // weights are the trained ones (the held-out measure of the last evaluation is reproduced from them).
    const e = await testEngine();
    const model = await loadModel(e, await nodeFolder(out));
    expect(model.spec.vocabSize).toBe(VOCAB_SIZE);
    expect(model.spec.maxPositions).toBe(32);
    expect(model.tokenizer!.encode('Input: red Label: zebra \n').length).toBeGreaterThan(3);
    const again = await measureIcl(e, model.spec, model.weights, { seed: 1003, length: 32, families: HELD_OUT_FAMILIES }, 3, 2);
    releaseModel(model);
    expect(again.recoverable.correct).toBe(evals[2].eval.heldOut.recoverable.correct);
    expect(again.unseen.correct).toBe(evals[2].eval.heldOut.unseen.correct);
    expect(Math.round(again.copyBaseline * 1e4) / 1e4).toBe(evals[2].eval.heldOut.copyBaseline);
    expect(Math.round(again.recoverable.labelLoss * 1e4) / 1e4).toBeCloseTo(evals[2].eval.heldOut.recoverable.labelLoss, 3);
  });

  it('repeats the same loss values, to the bit, from the same config on the same adapter, with attention guides or without', async () => {
    const guided = { otherTokens: 0.5, attention: [{ layer: 0, heads: [0, 1], toward: 'matching-labels' }] };
    for (const [name, loss] of [['plain', undefined], ['guided', guided]] as const) {
      const config = await configFile(`again-${name}.json`, { ...TINY, loss, eval: { every: 0, sequences: 1 }, steps: 4 });
      const losses = async (out: string) => {
        const { code, out: lines } = await runAbft('pretrain', '--config', config, '--out', join(dir, `${name}-${out}`));
        expect(code).toBe(0);
        return lines.map((l) => JSON.parse(l)).filter((l) => 'loss' in l).map((l) => [l.loss as number, ...((l.attentionLoss as number[]) ?? [])]);
      };
      const first = await losses('a');
      expect(first).toHaveLength(4);
      expect(await losses('b')).toEqual(first);
      expect(new Set(first.map((l) => l[0])).size).toBe(4);
    }
  });

  it('guides attention, follows a longer schedule and keeps each checkpoint as its own folder', async () => {
    const out = join(dir, 'guided');
    const config = {
      ...TINY,
      model: { ...TINY.model, layers: 2 },
      loss: { otherTokens: 0.5, attention: [{ layer: 0, heads: [1], toward: 'own-line-text' }, { layer: 1, heads: [0, 1], toward: 'matching-labels', weight: 0.5 }] },
      optimizer: { ...TINY.optimizer, decaySteps: 9, minLr: 0 },
      eval: { every: 0, sequences: 1 },
      checkpointEvery: 1,
      keepCheckpoints: true,
    };
    const { code, out: lines, err } = await runAbft('pretrain', '--config', await configFile('guided.json', config), '--out', out);
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const steps = lines.map((l) => JSON.parse(l)).filter((l) => 'loss' in l);
    for (const s of steps) {
      expect(Object.keys(s)).toEqual(['step', 'loss', 'attentionLoss', 'lr', 'gradNorm', 'tokens', 'ms']);
      expect(s.attentionLoss).toHaveLength(2);
      // Uniform attention over a 32-token sequence puts some mass on every target: -log of it is finite and positive.
      for (const v of s.attentionLoss) expect(v > 0 && v < 10).toBe(true);
    }
    // Step 3 of a cosine over 8 steps after the warm-up, not the end of a 3-step schedule (0, minLr).
    expect(steps[2].lr).toBeCloseTo(3e-3 * 0.5 * (1 + Math.cos((Math.PI * 2) / 8)), 9);
    const kept = (await readdir(dir)).filter((n) => n.startsWith('guided-step-')).sort();
    expect(kept).toEqual(['guided-step-1', 'guided-step-2']);
    const log = JSON.parse(await readFile(join(dir, 'guided-step-2', 'pretrain-log.json'), 'utf8'));
    expect(log).toMatchObject({ stepsDone: 2, config: { loss: { attention: [{ toward: 'own-line-text', weight: 1 }, { weight: 0.5 }] }, optimizer: { decaySteps: 9 } } });
  });

  it('names the file, field and value of a bad config, and exits with 2', async () => {
    const bad = async (config: unknown) => {
      const path = await configFile('bad.json', config);
      const r = await runAbft('pretrain', '--config', path, '--out', join(dir, 'bad'));
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      return r.err[0].replace(path, 'FILE');
    };
    expect(await bad({ ...TINY, model: { ...TINY.model, hidden: 'big' } })).toBe('abft: FILE: model.hidden is "big"; it must be a whole number of at least 1');
    expect(await bad({ ...TINY, model: { ...TINY.model, heads: 3 } })).toBe('abft: FILE: model.heads is 3; it must be a divisor of model.hidden 16');
    expect(await bad({ ...TINY, optimizer: { lr: -1 } })).toBe('abft: FILE: optimizer.lr is -1; it must be a positive number such as 1e-3');
    expect(await bad({ ...TINY, optimizer: { warmupSteps: 3 } })).toBe('abft: FILE: optimizer.warmupSteps is 3; it must be fewer than steps (3)');
    expect(await bad({ ...TINY, architecture: 'mamba' })).toBe('abft: FILE: architecture is "mamba"; it must be one of gpt2, llama, qwen2, qwen3, gemma3');
    expect(await bad({ ...TINY, corpus: { length: 32, families: ['word-alone', 'poetry'] } })).toMatch(/^abft: FILE: corpus\.families: No classroom task family "poetry"; the families are word-alone, /);
    expect(await bad({ ...TINY, corpus: { length: 64 }, model: { ...TINY.model, maxPositions: 32 } })).toBe('abft: FILE: model.maxPositions is 32; it must be at least corpus.length 64');
    expect(await bad({ ...TINY, eval: { seed: 3 } })).toMatch(/^abft: FILE: eval\.seed is 3; it must be another seed than corpus\.seed \(3\)/);
    expect(await bad({ ...TINY, optimiser: {} })).toMatch(/^abft: FILE: optimiser is not a field of a pretraining config; the fields here are architecture, model, corpus, steps, /);
    expect(await bad({ ...TINY, loss: { otherTokens: 2 } })).toBe('abft: FILE: loss.otherTokens is 2; it must be between 0 and 1');
    expect(await bad({ ...TINY, steps: undefined })).toBe('abft: FILE: steps is missing; give a whole number of at least 1');
    const guide = { layer: 0, heads: [0], toward: 'own-line-text' };
    expect(await bad({ ...TINY, loss: { attention: guide } })).toBe('abft: FILE: loss.attention is {"layer":0,"heads":[0],"toward":"own-line-text"}; it must be a list of objects');
    expect(await bad({ ...TINY, loss: { attention: [guide, { ...guide, layer: 1 }] } })).toBe('abft: FILE: loss.attention[1].layer is 1; it must be a layer of the model (0..0)');
    expect(await bad({ ...TINY, loss: { attention: [{ ...guide, heads: [0, 2] }] } })).toBe('abft: FILE: loss.attention[0].heads is [0,2]; it must be a non-empty list of distinct heads of 0..1');
    expect(await bad({ ...TINY, loss: { attention: [{ ...guide, toward: 'labels' }] } })).toBe('abft: FILE: loss.attention[0].toward is "labels"; it must be one of own-line-text, matching-labels');
    expect(await bad({ ...TINY, loss: { attention: [{ ...guide, weight: 0 }] } })).toBe('abft: FILE: loss.attention[0].weight is 0; it must be a positive number such as 1');
    expect(await bad({ ...TINY, optimizer: { decaySteps: 2 } })).toBe('abft: FILE: optimizer.decaySteps is 2; it must be a whole number of at least 3');
    expect(await bad('{ "steps": 3,')).toMatch(/^abft: --config FILE is not valid JSON/);
    expect(await bad([1])).toBe('abft: FILE: the file is [1]; it must be a JSON object');

    const missing = await runAbft('pretrain', '--config', join(dir, 'none.json'), '--out', join(dir, 'bad'));
    expect(missing).toMatchObject({ code: 2, err: [`abft: --config ${join(dir, 'none.json')} does not exist`] });
    expect((await runAbft('pretrain', '--config', 'x.json')).err).toEqual(['abft: missing --out; see abft --help']);
    expect((await runAbft('pretrain', '--config', 'x.json', '--out', 'o', '--model', 'm')).err).toEqual([
      'abft: --model is not an option of abft pretrain, which takes --config, --out (the rest is in the config file)',
    ]);
    expect((await runAbft('train', '--model', 'm', '--data', 'synthetic', '--config', 'x.json')).err).toEqual(['abft: --config is an option of abft pretrain and abft corpus, not abft train']);
    const help = await runAbft('pretrain', '--help');
    expect(help.code).toBe(0);
    expect(help.out[0]).toMatch(/abft pretrain --config FILE\.json --out DIR/);
    expect(help.out[0]).toMatch(/"warmupSteps" \(100\)/);
  });
});
