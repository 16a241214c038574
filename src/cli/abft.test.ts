import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEngine } from '../engine/testing/gpu';
import { nodeFolder } from '../model/files-node';
import { loadModel, releaseModel } from '../model/load';
import { memoryFile } from '../model/files';
import { readSafetensorsHeader, readTensorF32 } from '../model/safetensors';
import { startFakeViewer, type FakeViewer } from '../data/testing/fake-dataset-viewer';
import { runAbft } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';
import { parseArgs } from './abft-args';
import { loadRunData } from './abft-data';

const tmp = tinyModelFolder('abft-cli-', 'llama');

const cli = runAbft;

/**
 * A short run: a random tiny model passes no head through the paper's filter (see
 * trainer.test.ts), so the "no head filter" ablation gives it a gradient.
 */
const SHORT = ['--data', 'synthetic', '--ablation', 'no-filter', '--pseudo-batch', '4', '--micro-batch', '4', '--train-prompts', '8'];

describe('abft train', () => {
  it('trains, prints a metrics line per step and writes report.json, a checkpoint and a model that loads back; --resume continues', async () => {
    const out = join(tmp.dir, 'run');
    const { code, out: lines, err } = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e-2', '--steps', '2', '--queries', '2', '--measures', 'test,unseen', '--out', out, '--checkpoint-every', '1');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const steps = lines.slice(0, 2).map((l) => JSON.parse(l));
    expect(steps.map((s) => s.step)).toEqual([1, 2]);
    for (const s of steps) {
      expect(Object.keys(s)).toEqual(['step', 'loss', 'punishment', 'passingHeads', 'gradNorm', 'ms', 'tokensPerSecond', 'attention']);
      expect(s.attention).toHaveLength(2);
      expect(Object.keys(s.attention[0])).toEqual(['layer', 'plus', 'minus', 'sink']);
    }
    expect(JSON.parse(lines[2])).toMatchObject({ done: true, stepsDone: 2, stoppedEarly: null });

    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.steps).toHaveLength(2);
    expect(report.final.step).toBe(2);
    expect(report.options.abft.headFilter).toBe('none');
    expect(report.data.split).toMatchObject({ rows: 2048, trainingPool: 1024, queries: 2, demoPool: 1022 });
    expect(report.deltaNorms).toHaveLength(2);
    expect(report.deltaNorms[0].q).toBeGreaterThan(0);
    expect(report.evaluation.before.test.count).toBe(4);
    expect(report.evaluation.after.unseenLabel.count).toBe(2);
    expect(report.evaluation.change.test).not.toBeNull();

    // The exported model loads with the trained W_Q: the same values the checkpoint holds.
    const e = await testEngine();
    const exported = await loadModel(e, await nodeFolder(out));
    const checkpoint = await readSafetensorsHeader(memoryFile('checkpoint', await readFile(join(out, 'checkpoint.safetensors'))));
    expect(checkpoint.metadata.stepsDone).toBe('2');
    expect(Array.from(await e.read(exported.weights.layers[1].q.weight))).toEqual(Array.from(await readTensorF32(checkpoint, 'weight/layers.1.q.weight')));
    releaseModel(exported);

    // Resuming at step 2 gives step 3 exactly as an unbroken 3-step run does.
    const resumed = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e-2', '--steps', '3', '--queries', '0', '--resume', join(out, 'checkpoint.safetensors'));
    expect(resumed.err).toEqual([]);
    expect(resumed.code).toBe(0);
    const straight = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e-2', '--steps', '3', '--queries', '0');
    const step3 = (lines: string[]) => JSON.parse(lines.find((l) => JSON.parse(l).step === 3)!);
    expect(resumed.out.filter((l) => JSON.parse(l).step !== undefined)).toHaveLength(1);
    expect(step3(resumed.out).loss).toBe(step3(straight.out).loss);
    expect(step3(resumed.out).gradNorm).toBe(step3(straight.out).gradNorm);

    // A resumed run must keep the checkpoint's options.
    const otherLr = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '0.5', '--steps', '3', '--queries', '0', '--resume', join(out, 'checkpoint.safetensors'));
    expect(otherLr.code).toBe(2);
    expect(otherLr.err.join('\n')).toMatch(/other options \(lr: checkpoint 0\.01, this run 0\.5\)/);
  });

  it('a non-finite loss stops training, keeps the last good weights and still writes the outputs (exit 3)', async () => {
    const out = join(tmp.dir, 'diverged');
    const { code, out: lines, err } = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e30', '--steps', '4', '--queries', '0', '--out', out);
    expect(code).toBe(3);
    expect(err.join('\n')).toMatch(/Training step \d: the (loss|gradient norm) is NaN/);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.stoppedEarly).toMatch(/was not applied/);
    expect(report.stepsDone).toBe(report.steps.length);
    expect(report.stepsDone).toBeLessThan(4);
    expect(lines.at(-1)).toContain('"done":true');
    await stat(join(out, 'model.safetensors'));
    await stat(join(out, 'checkpoint.safetensors'));
  });
});

describe('abft eval and --help', () => {
  it('prints the evaluation report as JSON', async () => {
    const { code, out, err } = await cli('eval', '--model', tmp.modelDir, '--data', 'synthetic', '--queries', '3', '--measures', 'test,demos');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.report.test.count).toBe(6);
    expect(report.report.demonstrationConsistency.queries).toBe(3);
    expect(report.report.unseenLabel).toBeNull();
  });

  it('--help prints the usage', async () => {
    const { code, out } = await cli('--help');
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/abft train --model DIR --data FILE\|PRESET\|CLASSROOM\|synthetic/);
  });
});

describe('--data PRESET (from a local stand-in for the Hub dataset viewer)', () => {
  let viewer: FakeViewer;
  beforeAll(async () => {
    viewer = await startFakeViewer();
  });
  afterAll(() => viewer.close());

  it("evaluates on a preset's rows with the preset's template", async () => {
    const { code, out, err } = await cli('eval', '--model', tmp.modelDir, '--data', 'sst2', '--hub-datasets', viewer.endpoint, '--queries', '2', '--measures', 'test');
    // Only the download's progress and its summary of skipped rows go to stderr.
    expect(err.length).toBeGreaterThan(0);
    for (const line of err) expect(line).toMatch(/^abft: sst2: (read|skipped) /);
    expect(code).toBe(0);
    const report = JSON.parse(out.join('\n'));
    expect(report.data.source).toBe('sst2');
    expect(report.data.template).toMatchObject({ inputPrefix: 'sentence: ', labelPrefix: 'sentiment: ', labelWords: ['negative', 'positive'] });
    expect(report.data.split).toMatchObject({ rows: 246, trainingPool: 123, queries: 2, demoPool: 121 });
    expect(report.report.test.count).toBe(4);
  });

  it('logs progress and the skipped rows; the options still override the template', async () => {
    const lines: string[] = [];
    const args = parseArgs(['eval', '--model', tmp.modelDir, '--data', 'sst2', '--hub-datasets', viewer.endpoint, '--labels', 'neutral,positive', '--input-prefix', 'review: ']);
    const data = await loadRunData(args, (l) => lines.push(l));
    expect(data.template).toMatchObject({ inputPrefix: 'review: ', labelPrefix: 'sentiment: ', labelWords: ['neutral', 'positive'] });
    expect(lines.at(-2)).toBe('abft: sst2: read 250 of 250 rows of nyu-mll/glue (sst2, train)');
    expect(lines.at(-1)).toMatch(/^abft: sst2: skipped 4 of 250 rows \(train row 7: column "sentence" is empty, not a text; .*; …\)$/);
  });

  it('reports what the viewer says as bad input', async () => {
    const { code, err } = await cli('eval', '--model', tmp.modelDir, '--data', 'sst2', '--hub-datasets', viewer.endpoint, '--text-column', 'text');
    expect(code).toBe(2);
    expect(err).toEqual(['abft: --text-column is for data files; --data sst2 reads columns sentence and label']);
    const wrong = await cli('eval', '--model', tmp.modelDir, '--data', 'mr', '--hub-datasets', viewer.endpoint);
    expect(wrong.code).toBe(2);
    expect(wrong.err.join('\n')).toMatch(/the dataset cornell-movie-review-data\/rotten_tomatoes was not found by the dataset viewer/);
  });
});

describe('bad input: one message, exit code 2', () => {
  const cases: [string, () => Promise<string[]>, RegExp][] = [
    ['no command', async () => ['--model', tmp.modelDir, '--data', 'synthetic'], /give a command/],
    ['an unknown option', async () => ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--bogus', '1'], /unknown option --bogus/],
    ['a bad number', async () => ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--lr', 'abc'], /--lr is "abc"; it must be a positive number/],
    ['a bad choice', async () => ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--ablation', 'no-idea'], /--ablation is "no-idea"; it must be one of none, no-pid/],
    ['a train option to eval', async () => ['eval', '--model', tmp.modelDir, '--data', 'synthetic', '--steps', '3'], /--steps is an option of abft train/],
    ['a missing model folder', async () => ['train', '--model', join(tmp.dir, 'nowhere'), '--data', 'synthetic', '--queries', '0'], /model folder .*nowhere does not exist/],
    ['a missing data file', async () => ['train', '--model', tmp.modelDir, '--data', join(tmp.dir, 'none.csv')], /data file .*none\.csv does not exist/],
    [
      'rows the importer rejects',
      async () => {
        const file = join(tmp.dir, 'bad.csv');
        await writeFile(file, 'text,label\ngood film,positive\n,negative\nfine,maybe\n');
        return ['eval', '--model', tmp.modelDir, '--data', file, '--labels', 'negative,positive'];
      },
      /2 rows of .*bad\.csv cannot be used:\n.*bad\.csv, line 3: .*text.*\n.*line 4: field "label" is "maybe"/,
    ],
    ['a column that is not there', async () => {
      const file = join(tmp.dir, 'cols.tsv');
      await writeFile(file, 'sentence\tlabel\na\t0\n');
      return ['eval', '--model', tmp.modelDir, '--data', file];
    }, /has no column "text" for the text/],
    [
      'label words the scoring rule cannot tell apart',
      async () => ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--labels', 'zqa,zqb', '--label-scoring', 'first', '--queries', '0'],
      /label words "zqa" and "zqb" both start with the token "z" \(id \d+\).*--label-scoring/,
    ],
    ['a checkpoint that is not one', async () => {
      const file = join(tmp.dir, 'junk.safetensors');
      await writeFile(file, 'junk');
      return ['train', '--model', tmp.modelDir, '--data', 'synthetic', '--resume', file];
    }, /--resume .*junk\.safetensors: the file is not an ABFT Studio training checkpoint/],
  ];
  for (const [what, argv, message] of cases) {
    it(what, async () => {
      const { code, err, out } = await cli(...(await argv()));
      expect(err.join('\n')).toMatch(message);
      expect(err.join('\n')).not.toMatch(/\n\s+at /);
      expect(err).toHaveLength(1);
      expect(out).toEqual([]);
      expect(code).toBe(2);
    });
  }
});
