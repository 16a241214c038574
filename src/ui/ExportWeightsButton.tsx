import { useTrainingStore } from '../store/training-store';
import { downloadBytes } from './download';

/** The model with its trained W_Q / W_K as a Hugging Face model.safetensors download. */
export function ExportWeightsButton({ disabled }: { disabled: boolean }) {
  const exporting = useTrainingStore((s) => s.exporting);
  const exportWeights = useTrainingStore((s) => s.exportWeights);

  const run = async () => {
    const bytes = await exportWeights();
    if (bytes) downloadBytes('model.safetensors', bytes);
  };

  return (
    <div className="export">
      <button type="button" className="secondary" onClick={() => void run()} disabled={disabled || exporting.state === 'running'}>
        {exporting.state === 'running' ? 'Exporting…' : 'Export fine-tuned weights'}
      </button>
      {exporting.state === 'failed' && (
        <p role="alert" className="error-text">
          The weights could not be exported: {exporting.message}
        </p>
      )}
    </div>
  );
}
