/** What would stop training on the previewed prompt, or that nothing would. */
export function PreviewProblems({ problems }: { problems: readonly string[] }) {
  if (problems.length === 0) return <p className="ok-text" data-testid="prompt-ok">This prompt can be trained on.</p>;
  return (
    <ul className="preview-problems" role="alert" data-testid="prompt-problems">
      {problems.map((p) => (
        <li key={p}>{p}</li>
      ))}
    </ul>
  );
}
