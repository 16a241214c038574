import { useGpuStore } from '../store/gpu-store';

/** Lets a user confirm that every GPU kernel computes what the float64 reference computes on their machine. */
export function SelfCheckPanel() {
  const ready = useGpuStore((s) => s.status.state === 'ready');
  const selfCheck = useGpuStore((s) => s.selfCheck);
  const run = useGpuStore((s) => s.runSelfCheck);
  const allPassed = selfCheck.state === 'done' && selfCheck.results.every((r) => r.passed);

  return (
    <section className="panel" data-testid="self-check">
      <h2>GPU self-check</h2>
      <p>Runs every kernel on a small random problem and compares it with an exact (float64) reference computed in JavaScript.</p>
      <button type="button" onClick={() => void run()} disabled={!ready || selfCheck.state === 'running'}>
        {selfCheck.state === 'running' ? 'Checking…' : 'Run self-check'}
      </button>
      {selfCheck.state === 'failed' && (
        <p role="alert" className="error-text">
          The self-check could not run: {selfCheck.message}
        </p>
      )}
      {selfCheck.state === 'done' && (
        <>
          <p data-testid="self-check-summary" data-passed={allPassed}>
            {allPassed ? `All ${selfCheck.results.length} kernels match the reference.` : 'Some kernels do not match the reference: see below.'}
          </p>
          <table className="results">
            <thead>
              <tr>
                <th scope="col">kernel</th>
                <th scope="col">max relative error</th>
                <th scope="col">tolerance</th>
                <th scope="col">time</th>
                <th scope="col">result</th>
              </tr>
            </thead>
            <tbody>
              {selfCheck.results.map((r) => (
                <tr key={r.name} className={r.passed ? 'pass' : 'fail'}>
                  <td>{r.name}</td>
                  <td>{r.maxError.toExponential(2)}</td>
                  <td>{r.tolerance.toExponential(0)}</td>
                  <td>{r.ms.toFixed(1)} ms</td>
                  <td>{r.passed ? 'pass' : 'FAIL'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
