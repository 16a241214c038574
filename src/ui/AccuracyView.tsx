import { useTrainingStore } from '../store/training-store';

const percent = (v: number) => `${(v * 100).toFixed(1)}%`;

/** Accuracy on the synthetic test set, measured on demand: before training and after any step. */
export function AccuracyView({ disabled }: { disabled: boolean }) {
  const accuracy = useTrainingStore((s) => s.accuracy);
  const evaluation = useTrainingStore((s) => s.evaluation);
  const measure = useTrainingStore((s) => s.measureAccuracy);

  return (
    <div className="accuracy">
      <button type="button" className="secondary" onClick={() => void measure()} disabled={disabled || evaluation.state === 'running'}>
        {evaluation.state === 'running' ? 'Measuring…' : 'Measure accuracy'}
      </button>
      {evaluation.state === 'failed' && (
        <p role="alert" className="error-text">
          The accuracy could not be measured: {evaluation.message}
        </p>
      )}
      {accuracy.length > 0 && (
        <table className="results" data-testid="accuracy">
          <thead>
            <tr>
              <th scope="col">when</th>
              <th scope="col">accuracy</th>
              <th scope="col">macro-F1</th>
              <th scope="col">test prompts</th>
            </tr>
          </thead>
          <tbody>
            {accuracy.map(({ afterStep, result }, i) => (
              <tr key={i}>
                <td>{afterStep === 0 ? 'before training' : `after step ${afterStep}`}</td>
                <td>{percent(result.accuracy)}</td>
                <td>{percent(result.macroF1)}</td>
                <td>{result.count}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
