import { formatBytes } from '../engine/pool';
import { DEFAULT_HUB_ENDPOINT } from '../model/hub';
import { useModelStore } from '../store/model-store';

/** Hub models kept in the browser: loading them again needs no network; deleting frees the disk. */
export function CachedModelsList() {
  const cached = useModelStore((s) => s.cached);
  const { setHubRepo, setHubRevision, setHubEndpoint, deleteCached } = useModelStore.getState();
  if (cached.length === 0) return null;
  return (
    <details className="cached-models">
      <summary>Downloaded models ({cached.length})</summary>
      <ul>
        {cached.map((m) => (
          <li key={`${m.endpoint ?? ''} ${m.repo}@${m.revision}`}>
            <span>
              {m.repo}@{m.revision} {m.endpoint && <span className="muted">from {m.endpoint} </span>}
              <span className="muted">{formatBytes(m.bytes)}</span>
            </span>
            <button
              type="button"
              className="secondary"
              onClick={() => {
                setHubRepo(m.repo);
                setHubRevision(m.revision);
                setHubEndpoint(m.endpoint ?? DEFAULT_HUB_ENDPOINT);
              }}
            >
              Use
            </button>
            <button type="button" className="secondary" onClick={() => void deleteCached(m)} aria-label={`Delete ${m.repo}@${m.revision} from the browser`}>
              Delete
            </button>
          </li>
        ))}
      </ul>
    </details>
  );
}
