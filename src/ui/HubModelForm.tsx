import type { FormEvent } from 'react';
import { useModelFitStore } from '../store/model-fit-store';
import { useModelStore } from '../store/model-store';
import { HubTokenNote } from './model/HubTokenNote';
import { SUGGESTED_MODELS } from './model/suggested-models';

/** A Hub model id and revision, loaded on submit (Enter or the button), or only sized (its config.json alone). */
export function HubModelForm({ disabled }: { disabled: boolean }) {
  const repo = useModelStore((s) => s.hubRepo);
  const revision = useModelStore((s) => s.hubRevision);
  const token = useModelStore((s) => s.hubToken);
  const endpoint = useModelStore((s) => s.hubEndpoint);
  const { setHubRepo, setHubRevision, setHubToken, setHubEndpoint, loadFromHub } = useModelStore.getState();
  const checkHubModel = useModelFitStore((s) => s.checkHubModel);
  const checking = useModelFitStore((s) => s.check.state === 'checking');

  const submit = (event: FormEvent) => {
    event.preventDefault();
    void loadFromHub();
  };

  return (
    <form className="hub-form" onSubmit={submit}>
      <div className="field">
        <label htmlFor="hub-repo">Hugging Face Hub model id</label>
        <input
          id="hub-repo"
          list="hub-suggestions"
          placeholder={SUGGESTED_MODELS[0].repo}
          value={repo}
          onChange={(e) => setHubRepo(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <datalist id="hub-suggestions">
          {SUGGESTED_MODELS.map((m) => (
            <option key={m.repo} value={m.repo} />
          ))}
        </datalist>
      </div>
      <div className="field narrow">
        <label htmlFor="hub-revision">Revision</label>
        <input id="hub-revision" value={revision} onChange={(e) => setHubRevision(e.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="hub-endpoint">Hub endpoint</label>
        <input id="hub-endpoint" inputMode="url" value={endpoint} onChange={(e) => setHubEndpoint(e.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="hub-token">Access token (gated models)</label>
        <input id="hub-token" type="password" value={token} onChange={(e) => setHubToken(e.target.value)} autoComplete="off" placeholder="hf_…" aria-describedby="hub-token-endpoint" />
      </div>
      <HubTokenNote id="hub-token-endpoint" />
      <div className="button-row">
        <button type="button" className="secondary" onClick={() => void checkHubModel()} disabled={checking || repo.trim() === ''}>
          Check size
        </button>
        <button type="submit" disabled={disabled || repo.trim() === ''}>
          Load from Hub
        </button>
      </div>
    </form>
  );
}
