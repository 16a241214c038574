import { SUITE_MEASURES, type SuiteMeasures } from '../abft/suite';
import { useTrainingStore, type EvaluationRecord } from '../store/training-store';
import type { EvaluationProgress } from '../train/protocol';
import { MEASURE_LABELS, MEASURE_ROWS, percent } from './evaluation-measures';

/**
 * The evaluation suite on demand, the one `abft train` runs: the measures picked in the settings,
 * on the test set, before training and after any step. One column per press of Evaluate.
 */
export function EvaluationView({ disabled }: { disabled: boolean }) {
  const evaluations = useTrainingStore((s) => s.evaluations);
  const evaluation = useTrainingStore((s) => s.evaluation);
  const measures = useTrainingStore((s) => s.settings.measures);
  const evaluate = useTrainingStore((s) => s.evaluate);
  const running = evaluation.state === 'running';

  return (
    <div className="accuracy evaluation">
      <button type="button" className="secondary" onClick={() => void evaluate()} disabled={disabled || running}>
        {running ? 'Evaluating…' : 'Evaluate'}
      </button>
      {running && <EvaluationProgressView measures={measures} progress={evaluation.progress} />}
      {evaluation.state === 'failed' && (
        <p role="alert" className="error-text">
          The evaluation failed: {evaluation.message}
        </p>
      )}
      {evaluations.length > 0 && <EvaluationTable evaluations={evaluations} />}
    </div>
  );
}

/**
 * One line per picked measure, in the order the suite runs them: those before the one in progress
 * are done, those after it wait.
 */
export function EvaluationProgressView({ measures, progress }: { measures: SuiteMeasures; progress: EvaluationProgress | null }) {
  const picked = SUITE_MEASURES.filter((m) => measures[m]);
  const current = progress ? SUITE_MEASURES.indexOf(progress.measure) : -1;
  return (
    <ul className="evaluation-progress" data-testid="evaluation-progress" aria-label="Evaluation progress">
      {picked.map((m) => {
        const at = SUITE_MEASURES.indexOf(m);
        const [done, total] = progress && at === current ? [progress.done, progress.total] : at < current ? [1, 1] : [0, 1];
        const text = progress && at === current ? `${progress.done}/${progress.total}` : at < current ? 'done' : 'waiting';
        return (
          <li key={m} className="progress-row" data-measure={m}>
            <span className="evaluation-progress-name">{MEASURE_LABELS[m]}</span>
            <progress value={done} max={total} aria-label={MEASURE_LABELS[m]} />
            <span className="muted small evaluation-progress-count">{text}</span>
          </li>
        );
      })}
    </ul>
  );
}

function EvaluationTable({ evaluations }: { evaluations: readonly EvaluationRecord[] }) {
  // A measure no evaluation ran has no row.
  const rows = MEASURE_ROWS.filter((row) => evaluations.some(({ report }) => row.cell(report) !== null));
  return (
    <div className="evaluation-table">
      <table className="results" data-testid="evaluation">
        <thead>
          <tr>
            <th scope="col">measure</th>
            {evaluations.map(({ afterStep }, i) => (
              <th scope="col" key={i}>
                {afterStep === 0 ? 'before training' : `after step ${afterStep}`}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} data-measure={row.key}>
              <th scope="row">{row.name}</th>
              {evaluations.map(({ report }, i) => {
                const cell = row.cell(report);
                return (
                  <td key={i}>
                    {cell ? (
                      <>
                        <span className="evaluation-value">{percent(cell[0])}</span> <span className="muted small">{cell[1]}</span>
                      </>
                    ) : (
                      '–'
                    )}
                  </td>
                );
              })}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
