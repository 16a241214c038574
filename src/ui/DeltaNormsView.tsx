import type { LayerDeltaNorms } from '../train/delta-norms';

/** How far training moved W_Q and W_K in each layer (Frobenius norm of the change, as the paper's App. B). */
export function DeltaNormsView({ norms }: { norms: readonly LayerDeltaNorms[] }) {
  return (
    <table className="results" data-testid="delta-norms">
      <caption>Weight change from the loaded model</caption>
      <thead>
        <tr>
          <th scope="col">layer</th>
          <th scope="col">‖ΔW_Q‖</th>
          <th scope="col">‖ΔW_K‖</th>
        </tr>
      </thead>
      <tbody>
        {norms.map((n) => (
          <tr key={n.layer}>
            <td>{n.layer}</td>
            <td>{n.q.toExponential(3)}</td>
            <td>{n.k.toExponential(3)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
