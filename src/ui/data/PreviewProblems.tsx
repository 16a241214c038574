import type { PreviewProblem } from '../../train/protocol';

/** What would stop training on the previewed prompt, what concerns only the preview, or that nothing would. */
export function PreviewProblems({ problems }: { problems: readonly PreviewProblem[] }) {
  if (problems.length === 0) return <p className="ok-text" data-testid="prompt-ok">This prompt can be trained on.</p>;
  return (
    <ul className="preview-problems" role="alert" data-testid="prompt-problems">
      {problems.map((p) => (
        <li key={p.message} data-blocking={p.blocking}>
          {p.message}
          {!p.blocking && <span className="muted"> This does not stop training.</span>}
        </li>
      ))}
    </ul>
  );
}
