import { useEffect } from 'react';
import { useGpuStore } from '../store/gpu-store';
import { useModelStore } from '../store/model-store';
import { isPretraining, usePretrainStore } from '../store/pretrain-store';
import { CachedModelsList } from './CachedModelsList';
import { ClassroomModelCard } from './ClassroomModelCard';
import { DemoModelCard } from './DemoModelCard';
import { HubModelForm } from './HubModelForm';
import { LoadProgressView } from './LoadProgressView';
import { LocalFolderPicker } from './LocalFolderPicker';
import { HubModelFit } from './model/HubModelFit';
import { ModelSummaryView } from './ModelSummaryView';

/** Step 1: a pretrained model from the Hub or a local folder, loaded onto the GPU. */
export function ModelPanel() {
  const ready = useGpuStore((s) => s.status.state === 'ready');
  const load = useModelStore((s) => s.load);
  const model = useModelStore((s) => s.model);
  const { cancel, refreshCached } = useModelStore.getState();
  // While pretraining, the worker refuses loads: the model being made takes the loaded one's place.
  const pretraining = usePretrainStore((s) => isPretraining(s.run));
  const busy = !ready || load.state === 'loading' || pretraining;

  useEffect(() => {
    if (ready) void refreshCached();
  }, [ready, refreshCached]);

  return (
    <section className={`panel${model ? ' ok' : ''}`} data-testid="model-panel" aria-labelledby="model-panel-title">
      <h2 id="model-panel-title">Model</h2>
      <p>Pick a pretrained model (GPT-2, Llama, Qwen2, Qwen3 or Gemma 3 family, safetensors weights) from the Hugging Face Hub or from a folder on this computer.</p>
      <ClassroomModelCard disabled={busy} />
      <DemoModelCard disabled={busy} />
      <HubModelForm disabled={busy} />
      <HubModelFit />
      <LocalFolderPicker disabled={busy} />
      {load.state === 'loading' && <LoadProgressView what={load.what} progress={load.progress} onCancel={cancel} />}
      {load.state === 'failed' && (
        <div role="alert" className="alert" data-testid="model-error">
          <strong>The model could not be loaded:</strong> {load.message}
        </div>
      )}
      {load.state === 'cancelled' && <p className="muted">{load.message}</p>}
      {model && <ModelSummaryView model={model} />}
      <CachedModelsList />
    </section>
  );
}
