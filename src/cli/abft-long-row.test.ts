import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAbft } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';

const tmp = tinyModelFolder('abft-long-row-', 'gpt2');

/** A data file of short reviews and one 5 MB row, as a scraped page pasted into a cell gives. */
async function fileWithLongRow(): Promise<{ file: string; length: number }> {
  const long = 'the film goes on and on '.repeat(218_000);
  const rows = Array.from({ length: 20 }, (_, i) => `${['a fine film', 'a dull film', 'great acting', 'boring plot'][i % 4]} ${i},${i % 2 ? 'negative' : 'positive'}`);
  rows.splice(5, 0, `${long},positive`);
  const file = join(tmp.dir, 'long-row.csv');
  await writeFile(file, `text,label\n${rows.join('\n')}\n`);
  return { file, length: long.length };
}

describe('abft with a 5 MB row', () => {
  for (const command of ['train', 'eval']) {
    it(`${command} refuses the prompt holding it by its length in characters, naming the row, both lengths and what to do (exit 2)`, async () => {
      const { file, length } = await fileWithLongRow();
      const extra = command === 'train' ? ['--steps', '1', '--train-prompts', '8', '--out', join(tmp.dir, 'run')] : [];
      const { code, err, out } = await runAbft(command, '--model', tmp.modelDir, '--data', file, '--labels', 'negative,positive', '--queries', '4', ...extra);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(
        new RegExp(
          `^abft: (training|test) prompt \\d+ is [\\d,]+ characters long, more than the 6,656 characters that the model's 512 positions can hold \\(no token of its tokenizer stands for more than 13 characters\\), so it was not tokenized\\. Its longest row, (demonstration \\d|the query)'s text, is ${length.toLocaleString('en')} characters \\("the film goes on and on .*…"\\): shorten or remove that row, use fewer demonstrations \\(k\\), or pick a model with a longer context\\.$`,
        ),
      );
      expect(out).toEqual([]);
      expect(code).toBe(2);
    });
  }
});
