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

  it('evaluates with --label-scoring first and last, each in the report', async () => {
    for (const rule of ['first', 'last']) {
      const { code, out, err } = await runAbft('eval', '--model', tmp.modelDir, '--data', 'tee', '--hub-datasets', viewer.endpoint, '--queries', '4', '--measures', 'test', '--label-scoring', rule);
      expect(err.filter((l) => !/^abft: tee: read /.test(l))).toEqual([]);
      expect(code).toBe(0);
      const report = JSON.parse(out.join('\n'));
      expect(report.labelScoring).toBe(rule);
      expect(report.report.test.count).toBe(8);
    }
  });

  it('trains the end-to-end baseline on the whole token sequence of the gold label word', async () => {
    const out = join(tmp.dir, 'tee-e2e');
    const { code, out: lines } = await runAbft('train', '--model', tmp.modelDir, '--data', 'tee', '--hub-datasets', viewer.endpoint, ...SHORT, '--objective', 'end-to-end', '--lr', '1e-3', '--out', out);
    expect(code).toBe(0);
    const step = JSON.parse(lines[0]);
    // A sum of up to 5 tokens' cross-entropies over a random model's vocabulary: well above one token's ln V.
    expect(step.loss).toBeGreaterThan(Math.log(300));
    expect(Number.isFinite(step.gradNorm) && step.gradNorm > 0).toBe(true);
  });

  it('export verifies the ONNX folder on the label words of several tokens, extended prompts included', async () => {
    const out = join(tmp.dir, 'onnx');
    const { code, out: lines, err } = await runAbft('export', '--model', tmp.modelDir, '--onnx', '--out', out, '--data', 'tee', '--hub-datasets', viewer.endpoint, '--queries', '2');
    expect(err.filter((l) => !/^abft: tee: read /.test(l))).toEqual([]);
    expect(code).toBe(0);
    expect(JSON.parse(lines.join('\n')).verify).toMatchObject({ prompts: 2, agreements: 2, realDisagreements: 0, passed: true });
  });

  it('refuses words a rule cannot tell apart, naming both and the option (SUBJ by its last token)', async () => {
    const file = join(tmp.dir, 'subj.csv');
    await writeFile(file, ['text,label', ...Array.from({ length: 24 }, (_, i) => `review ${i},${i % 2 ? 'subjective' : 'objective'}`)].join('\n'));
    const { code, err } = await runAbft('eval', '--model', tmp.modelDir, '--data', file, '--labels', 'objective,subjective', '--queries', '2', '--label-scoring', 'last');
    expect(code).toBe(2);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^abft: The label words "objective" and "subjective" both end with the token "e" \(id \d+\), so scoring by the last token cannot tell them apart; use another label scoring \(sequence, the default, scores the whole word; --label-scoring on the command line/);
    const byFirst = await runAbft('eval', '--model', tmp.modelDir, '--data', file, '--labels', 'objective,subjective', '--queries', '2', '--measures', 'test', '--label-scoring', 'first');
    expect(byFirst.err).toEqual([]);
    expect(byFirst.code).toBe(0);
    const bad = await runAbft('eval', '--model', tmp.modelDir, '--data', file, '--label-scoring', 'middle');
    expect(bad.err).toEqual(['abft: --label-scoring is "middle"; it must be one of sequence, first, last']);
  });
});
