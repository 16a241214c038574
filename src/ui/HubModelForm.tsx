import type { FormEvent } from 'react';
import { SUGGESTED_MODELS, useModelStore } from '../store/model-store';

/** A Hub model id and revision, loaded on submit (Enter or the button). */
export function HubModelForm({ disabled }: { disabled: boolean }) {
  const repo = useModelStore((s) => s.hubRepo);
  const revision = useModelStore((s) => s.hubRevision);
  const token = useModelStore((s) => s.hubToken);
  const { setHubRepo, setHubRevision, setHubToken, loadFromHub } = useModelStore.getState();

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
          placeholder={SUGGESTED_MODELS[0]}
          value={repo}
          onChange={(e) => setHubRepo(e.target.value)}
          autoComplete="off"
          spellCheck={false}
        />
        <datalist id="hub-suggestions">
          {SUGGESTED_MODELS.map((id) => (
            <option key={id} value={id} />
          ))}
        </datalist>
      </div>
      <div className="field narrow">
        <label htmlFor="hub-revision">Revision</label>
        <input id="hub-revision" value={revision} onChange={(e) => setHubRevision(e.target.value)} autoComplete="off" spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="hub-token">Access token (gated models)</label>
        <input id="hub-token" type="password" value={token} onChange={(e) => setHubToken(e.target.value)} autoComplete="off" placeholder="hf_…" />
      </div>
      <button type="submit" disabled={disabled || repo.trim() === ''}>
        Load from Hub
      </button>
    </form>
  );
}
