import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeViewer, type FakeViewer } from '../data/testing/fake-dataset-viewer';
import { runAbft } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';

/**
 * The paper's TEE and SUBJ label words on a GPT-2-like BPE: one token after the label prefix's
 * space ("Ġsad"), several bare ("s" + "a" + "d"), which is how the query's answer is scored.
 */
const tmp = tinyModelFolder('abft-scoring-', 'gpt2', { spaceOnlyWords: ['anger', 'joy', 'sad', 'objective', 'subjective'] });

const SHORT = ['--ablation', 'no-filter', '--steps', '1', '--pseudo-batch', '4', '--micro-batch', '4', '--train-prompts', '4', '--queries', '4', '--measures', 'test'];

let viewer: FakeViewer;
beforeAll(async () => {
  viewer = await startFakeViewer();
});
afterAll(() => viewer.close());

describe('label words of several tokens (TEE on a GPT-2-like tokenizer)', () => {
  it('trains and evaluates the tee preset with the default rule, sequence', async () => {
    const out = join(tmp.dir, 'tee');
    const { code, err } = await runAbft('train', '--model', tmp.modelDir, '--data', 'tee', '--hub-datasets', viewer.endpoint, ...SHORT, '--out', out);
    expect(err.filter((l) => !/^abft: tee: read /.test(l))).toEqual([]);
    expect(code).toBe(0);
    const report = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'));
    expect(report.options.labelScoring).toBe('sequence');
    expect(report.data.template.labelWords).toEqual(['anger', 'joy', 'positive', 'sad']);
    expect(report.evaluation.before.test.count).toBe(8);
    expect(report.evaluation.after.test.count).toBe(8);
  });
});
