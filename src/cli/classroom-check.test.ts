/**
 * classroom-check runs every table's runs through the real `abft` command and reports each figure
 * with its spread over the seeds. The shapes here are tiny (1 step, 2 queries): what the figures
 * are is measured by `npm run classroom:check` itself (README, "The paper's tables on the classroom model").
 */
import { describe, expect, it } from 'vitest';
import { runToolCaptured } from './testing/run-tool';
import { classroomCheckTool, spread } from './classroom-check';

describe('classroom-check', () => {
  it('gives the mean and the sample standard deviation', () => {
    expect(spread([0.5, 0.75, 1])).toEqual({ mean: 0.75, sd: 0.25, values: [0.5, 0.75, 1] });
    expect(spread([0.6]).sd).toBe(0);
  });

  it('prints Tables 1-4 as one JSON document, each figure over every seed', async () => {
    const r = await runToolCaptured(classroomCheckTool, '--seeds', '0,1', '--steps', '1', '--queries', '2', '--consistency-queries', '2', '--tasks', 'category-in-filler', '--other', 'word-last');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out.join('\n'));
    const accuracies = [
      doc.table1['category-in-filler'].vanilla,
      doc.table1['category-in-filler'].abft,
      doc.table2.abft.accId,
      doc.table2.abft.accOd,
      doc.table2.endToEnd.accId,
      doc.table2.endToEnd.accOd,
      doc.table3['category-in-filler'].demonstrationConsistency.after,
      doc.table3['category-in-filler'].templateConsistency.before,
      ...['no-pid', 'no-filter', 'no-punishment', 'no-reward'].map((a) => doc.table4[a]),
    ];
    for (const a of accuracies) {
      expect(a.values).toHaveLength(2);
      for (const v of a.values) expect(v >= 0 && v <= 1).toBe(true);
    }
    expect(doc.table1['category-in-filler'].passingHeadsPerStep.mean).toBeGreaterThan(0);
    expect(doc.table2.other).toBe('word-last');
    for (const t of [doc.table2.msPerStep.abft, doc.table2.msPerStep.endToEnd, doc.table2.timeRatio]) {
      expect(t.values).toHaveLength(2);
      for (const v of t.values) expect(v > 0 && Number.isFinite(v)).toBe(true);
    }
  }, 300_000);

  it('names a bad seed list', async () => {
    const r = await runToolCaptured(classroomCheckTool, '--seeds', '0,x');
    expect(r.code).toBe(2);
    expect(r.err.join(' ')).toContain('--seeds 0,x');
  });
});
