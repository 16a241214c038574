import { describe, expect, it } from 'vitest';
import { runRecord } from './fixtures';
import { keyNumbers, reportFileName, REPORT_FORMAT, runReportJson, runSummaryHtml } from './report';
import { lineChartSvg } from './report-svg';

describe('run report', () => {
  it('is the whole record as JSON, with a format tag and a title', () => {
    const run = runRecord(3);
    const parsed = JSON.parse(runReportJson(run));
    expect(parsed).toMatchObject({ format: REPORT_FORMAT, version: 2, title: 'ABFT · 3 steps · lr 0.00002' });
    expect(parsed.steps).toHaveLength(3);
    expect(parsed.steps[0].heads.plus).toHaveLength(4);
    expect(parsed.deltaNorms).toEqual(run.deltaNorms);
    expect(reportFileName(run, 'json')).toBe('abft-run-2026-01-02-03-04-05.json');
  });

  it('names the key numbers, 𝒜 and passing heads only for ABFT', () => {
    const names = (run: ReturnType<typeof runRecord>) => keyNumbers(run).map(([name]) => name);
    const abft = runRecord(2);
    expect(Object.fromEntries(keyNumbers(abft))).toMatchObject({ steps: '2 of 2', 'loss, first → last step': '1 → 0.5', 'accuracy before → after': '50.0% → 75.0%',
      'demonstration consistency before → after': '40.0% → 65.0%',
      'template consistency before → after': '30.0% → 55.0%',
      'unseen-label accuracy before → after': '25.0% → 50.0%',
    });
    // A measure neither evaluation ran has no row; accuracy keeps its row, a dash where it was not measured.
    const testOnly = runRecord(2, { evaluationBefore: { ...abft.evaluationBefore!, templateConsistency: null }, evaluationAfter: null });
    expect(Object.fromEntries(keyNumbers(testOnly))).toMatchObject({ 'accuracy before → after': '50.0% → –', 'demonstration consistency before → after': '40.0% → –' });
    expect(names(testOnly)).not.toContain('template consistency before → after');
    expect(names(runRecord(2, { evaluationBefore: null, evaluationAfter: null }))).toContain('accuracy before → after');
    expect(names(abft)).toContain('𝒜 after the last step');
    expect(names(runRecord(2, { settings: { ...abft.settings, objective: 'end-to-end' } }))).not.toContain('𝒜 after the last step');
  });

  it('summarises as standalone HTML with inline SVG charts, escaped text and the ΔW table', () => {
    const html = runSummaryHtml(runRecord(3));
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(5);
    expect(html).toContain('tiny-llama &#60;test&#62;');
    expect(html).not.toContain('<test>');
    expect(html).toContain('<td>1</td><td>3.000e-3</td><td>4.000e-3</td>');
    expect(html).toContain('abft.headFilter');
  });

  it('breaks a chart line where a value is missing', () => {
    const svg = lineChartSvg('t', [{ name: 'a', points: [[1, 1], [2, null], [3, 2], [4, 3]] }]);
    expect(svg.match(/d="([^"]*)"/)![1].match(/M/g)).toHaveLength(2);
  });
});
