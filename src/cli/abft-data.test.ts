import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArgs } from './abft-args';
import { CLASSROOM_PRESETS, classroomPresetData } from '../data/classroom-presets';
import { describeSplit, loadRunData } from './abft-data';
import { runAbft as cli } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';

const tmp = tinyModelFolder('abft-data-', 'llama');

const REVIEWS = [...['a fine film', 'so good', 'lovely work', 'great fun'].map((t) => [t, 'positive']), ...['a dull film', 'so bad', 'awful work', 'no fun'].map((t) => [t, 'negative'])];

/** Writes `content` (a string as UTF-8, or bytes) to a file of the test folder and returns its path. */
async function dataFile(name: string, content: string | Uint8Array): Promise<string> {
  const path = join(tmp.dir, name);
  await writeFile(path, content);
  return path;
}

async function runData(...argv: string[]) {
  const log: string[] = [];
  const data = await loadRunData(parseArgs(['eval', '--model', tmp.modelDir, ...argv]), (line) => log.push(line));
  return { data, log, texts: [...data.trainingPool, ...data.queries, ...data.demoPool].map((r) => r.text).sort() };
}

describe('--data FILE: encodings, delimiters and labels', () => {
  it('stops at a file that is not UTF-8, naming the byte and its line, and reads it with --encoding latin1', async () => {
    const file = await dataFile('latin.csv', Buffer.from(`text,label\n${REVIEWS.map(([t, l]) => `${t} café,${l}`).join('\n')}\n`, 'latin1'));
    const { code, err, out } = await cli('eval', '--model', tmp.modelDir, '--data', file, '--labels', 'negative,positive');
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^abft: .*latin\.csv is not valid UTF-8: byte E9 at offset 26 \(line 2; the bytes from there: E9 2C 70 6F\) is not UTF-8\. Read as Latin-1, that part of the line is "a fine film café,positive"\. If the file is Latin-1 \(Windows-1252\), pass --encoding latin1;/);

    const { texts } = await runData('--data', file, '--labels', 'negative,positive', '--encoding', 'latin1');
    expect(texts).toEqual(REVIEWS.map(([t]) => `${t} café`).sort());
    const bad = await cli('eval', '--model', tmp.modelDir, '--data', file, '--encoding', 'cp437');
    expect(bad.err).toEqual(['abft: --encoding is "cp437"; it must be one of utf-8, latin1']);
  });

  it('reads a semicolon-separated file with its delimiter detected, and --delimiter overrides the detection', async () => {
    const file = await dataFile('semi.csv', `text;label\n${REVIEWS.map(([t, l]) => `"${t}, really";${l}`).join('\n')}\n`);
    const { texts } = await runData('--data', file, '--labels', 'negative,positive');
    expect(texts).toEqual(REVIEWS.map(([t]) => `${t}, really`).sort());
    const forced = await cli('eval', '--model', tmp.modelDir, '--data', file, '--delimiter', 'comma', '--labels', 'negative,positive');
    expect(forced.code).toBe(2);
    expect(forced.err.join('\n')).toMatch(/semi\.csv has no column "text" for the text; its columns are "text;label"/);
    const jsonl = await dataFile('rows.jsonl', '{"text": "x", "label": 0}\n');
    const misplaced = await cli('eval', '--model', tmp.modelDir, '--data', jsonl, '--delimiter', 'tab');
    expect(misplaced.err).toEqual([`abft: --delimiter is for .csv, .tsv and .txt files, not the JSON lines of ${jsonl}`]);
  });

  it('makes a stray label an error naming file, line, field and value with --labels, and prints the classes with their counts without', async () => {
    const file = await dataFile('stray.csv', `text,label\n${REVIEWS.map(([t, l]) => `${t},${l}`).join('\n')}\na typo row,pos\n`);
    const strict = await cli('eval', '--model', tmp.modelDir, '--data', file, '--labels', 'negative,positive');
    expect(strict.code).toBe(2);
    expect(strict.err).toEqual([
      `abft: 1 row of ${file} cannot be used:\n${file}, line 10: field "label" is "pos", which is not one of the labels (0 = negative, 1 = positive); change it to a label name or number, or remove the row.`,
    ]);

    const { code, err } = await cli('eval', '--model', tmp.modelDir, '--data', file, '--queries', '2', '--k', '2', '--measures', 'test');
    expect(code).toBe(0);
    expect(err).toContain(
      `abft: ${file}: 9 rows; the classes are its labels: "positive" (4 rows), "negative" (4 rows), "pos" (1 row). --labels W1,W2,... names the classes and makes any other label an error.`,
    );
  });
});

describe('--data classroom/<family>', () => {
  it('takes the classroom dataset as it is split: pool for training and demonstrations, its test rows as queries, whatever --seed', async () => {
    const expected = classroomPresetData('classroom/word-last');
    const { data } = await runData('--data', 'classroom/word-last', '--queries', '100', '--seed', '3');
    expect(data.source).toBe('classroom/word-last');
    expect(data.trainingPool).toEqual(expected.pool);
    expect(data.demoPool).toEqual(expected.pool);
    expect(data.queries).toEqual(expected.testRows.slice(0, 100));
    expect(data.template).toEqual(expected.template);
    expect(describeSplit(data)).toMatchObject({ rows: 768, trainingPool: 512, queries: 100, demoPool: 512, rule: expect.stringMatching(/^the classroom dataset's own/) });
    const renamed = await runData('--data', 'classroom/word-last', '--labels', 'yes,no', '--input-prefix', 'text: ');
    expect(renamed.data.template).toEqual({ ...expected.template, inputPrefix: 'text: ', labelWords: ['yes', 'no'] });
    expect(renamed.data.queries).toHaveLength(256);
  });

  it('evaluates a model on it, the unseen-label measure included', async () => {
    const { code, out, err } = await cli('eval', '--model', tmp.modelDir, '--data', 'classroom/category-in-filler', '--queries', '2', '--k', '2', '--measures', 'test,unseen');
    expect(err).toEqual([]);
    expect(code).toBe(0);
    const { report, data } = JSON.parse(out.join('\n'));
    expect(data.source).toBe('classroom/category-in-filler');
    expect(report.test.count).toBe(4);
    expect(report.unseenLabel.count).toBe(2);
  });

  it('lists the classroom datasets in --help and names them all for an unknown one', async () => {
    const help = await cli('train', '--data', 'classroom/word-last', '--help');
    expect(help.code).toBe(0);
    const usage = help.out.join('\n');
    expect(usage).toMatch(/--data FILE\|PRESET\|CLASSROOM\|synthetic/);
    for (const p of CLASSROOM_PRESETS) expect(usage).toMatch(new RegExp(`^ +${p.id} +${p.split === 'held-out' ? 'held out of pretraining' : 'pretraining family'}$`, 'm'));

    const bad = await cli('train', '--model', tmp.modelDir, '--data', 'classroom/word-middle');
    expect(bad.code).toBe(2);
    expect(bad.err).toEqual([`abft: --data classroom/word-middle is neither a classroom dataset nor a file; the classroom datasets are ${CLASSROOM_PRESETS.map((p) => p.id).join(', ')}`]);
    const column = await cli('eval', '--model', tmp.modelDir, '--data', 'classroom/word-last', '--text-column', 'x');
    expect(column.err).toEqual(['abft: --text-column is for data files; --data classroom/word-last is built in']);
    const labels = await cli('eval', '--model', tmp.modelDir, '--data', 'classroom/word-last', '--labels', 'a,b,c');
    expect(labels.err).toEqual(['abft: --labels gives 3 words; classroom/word-last has 2 classes (shirt, coat)']);
  });
});
