import type { ImportProblem } from '../../data/import';
import { plural } from '../../data/plural';

const SHOWN = 20;

/** Rows of the file that will be left out, each with its line and what to fix. */
export function ImportProblems({ problems }: { problems: readonly ImportProblem[] }) {
  if (problems.length === 0) return <p className="ok-text">Every row of the file can be used.</p>;
  return (
    <div className="import-problems" role="alert" data-testid="import-problems">
      <p>
        <strong>
          {plural(problems.length, 'row has a problem', 'rows have problems')}
        </strong>{' '}
        and will be left out; fix them in the file and import again, or import the good rows and fix them here.
      </p>
      <ul>
        {problems.slice(0, SHOWN).map((p) => (
          <li key={`${p.line}:${p.message}`}>
            <span className="line-number">line {p.line}</span> {p.message.replace(`${p.file}, line ${p.line}: `, '')}
          </li>
        ))}
      </ul>
      {problems.length > SHOWN && <p className="muted">… and {problems.length - SHOWN} more.</p>}
    </div>
  );
}
