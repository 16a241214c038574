import type { RunRecord } from '../../store/run-history-store';
import { downloadBytes } from '../download';
import { reportFileName, runReportJson, runSummaryHtml } from './report';

const save = (name: string, text: string, type: string) => downloadBytes(name, new TextEncoder().encode(text), type);

/** The run's report as JSON (everything recorded) and as a readable HTML summary with its charts. */
export function ReportExport({ run }: { run: RunRecord }) {
  return (
    <span className="report-export">
      <button type="button" className="link" onClick={() => save(reportFileName(run, 'json'), runReportJson(run), 'application/json')}>
        JSON
      </button>
      <button type="button" className="link" onClick={() => save(reportFileName(run, 'html'), runSummaryHtml(run), 'text/html')}>
        Summary
      </button>
    </span>
  );
}
