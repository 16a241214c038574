import { formatBytes } from '../../engine/pool';
import type { BufferLimits } from '../../model/memory';
import { estimateFit, fitVerdict, formatParameters } from './fit';
import { SUGGESTED_MODELS } from './suggested-models';

interface Props {
  readonly limits: BufferLimits | null;
  readonly current: string;
  readonly onPick: (repo: string) => void;
}

/** Models that suit a browser, with what they need to train and whether this GPU allows them. */
export function SuggestedModels({ limits, current, onPick }: Props) {
  return (
    <table className="results suggested-models" data-testid="suggested-models">
      <caption>Suggested models</caption>
      <thead>
        <tr>
          <th scope="col">model</th>
          <th scope="col" className="num">
            parameters
          </th>
          <th scope="col" className="num">
            to train
          </th>
          <th scope="col">this GPU</th>
          <th scope="col">
            <span className="visually-hidden">use</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {SUGGESTED_MODELS.map(({ repo, note, spec }) => {
          const fit = estimateFit(spec, limits);
          const verdict = fitVerdict(fit);
          return (
            <tr key={repo} className={repo === current.trim() ? 'picked' : undefined} data-testid="suggested-model" data-verdict={verdict}>
              <td>
                <div className="suggested-name">{repo}</div>
                <div className="muted small">{note}</div>
              </td>
              <td className="num">{formatParameters(fit.parameters)}</td>
              <td className="num">{formatBytes(fit.weightBytes + fit.trainingStateBytes)}</td>
              <td>
                <span className={`fit-chip ${verdict}`} title={fit.adapter?.tooBig ?? undefined}>
                  {verdict === 'fits' ? 'fits' : verdict === 'too-big' ? 'too big' : '…'}
                </span>
              </td>
              <td className="num">
                <button type="button" className="link" onClick={() => onPick(repo)} aria-label={`Use ${repo}`}>
                  Use
                </button>
              </td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}
