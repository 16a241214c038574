import { useGpuStore } from '../../store/gpu-store';
import { hubModelId, useModelFitStore } from '../../store/model-fit-store';
import { useModelStore } from '../../store/model-store';
import { ModelFitView } from './ModelFitView';
import { SuggestedModels } from './SuggestedModels';
import { suggestedModel } from './suggested-models';
import './model.css';

/**
 * The size of the model typed in the Hub form against this GPU: from the bundled config of a
 * suggested model at once, or from the config.json "Check size" fetched; then the suggestions.
 */
export function HubModelFit() {
  const repo = useModelStore((s) => s.hubRepo);
  const revision = useModelStore((s) => s.hubRevision);
  const check = useModelFitStore((s) => s.check);
  const gpu = useGpuStore((s) => (s.status.state === 'ready' ? s.status.gpu : null));
  const limits = gpu && { maxBufferSize: gpu.maxBufferSize, maxStorageBufferBindingSize: gpu.maxStorageBufferBindingSize };
  const id = hubModelId(repo, revision);
  const mine = check.state !== 'idle' && check.id === id ? check : null;
  const suggested = suggestedModel(repo);

  return (
    <div className="hub-fit">
      {mine?.state === 'checking' && <p className="muted">Reading {id}'s config.json…</p>}
      {mine?.state === 'failed' && (
        <div role="alert" className="alert" data-testid="model-fit-error">
          <strong>The size could not be checked:</strong> {mine.message}
        </div>
      )}
      {mine?.state === 'done' ? (
        <ModelFitView id={id} spec={mine.spec} limits={limits} source="hub" />
      ) : (
        suggested && !mine && <ModelFitView id={id} spec={suggested.spec} limits={limits} source="bundled" />
      )}
      <SuggestedModels limits={limits} current={repo} onPick={(picked) => useModelStore.getState().setHubRepo(picked)} />
    </div>
  );
}
