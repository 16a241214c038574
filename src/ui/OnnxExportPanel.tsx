import { useOnnxExportStore, VERIFY_PROMPTS } from '../store/onnx-export-store';
import type { OnnxVerification } from '../train/protocol';
import { downloadBlob } from './download';
import './onnx-export.css';

const PROVIDER: Record<OnnxVerification['provider'], string> = { webgpu: 'onnxruntime-web, WebGPU', wasm: 'onnxruntime-web, WebAssembly' };

/**
 * The fine-tuned model for web pages: an ONNX folder (zip) that transformers.js loads, and a check
 * that onnxruntime-web computes with it what our engine computes, on the test prompts.
 */
export function OnnxExportPanel({ disabled }: { disabled: boolean }) {
  const exporting = useOnnxExportStore((s) => s.exporting);
  const verifying = useOnnxExportStore((s) => s.verifying);
  const verification = useOnnxExportStore((s) => s.verification);
  const exportZip = useOnnxExportStore((s) => s.exportZip);
  const verify = useOnnxExportStore((s) => s.verify);

  const download = async () => {
    const result = await exportZip();
    if (result) downloadBlob(result.fileName, result.zip);
  };

  return (
    <div className="export onnx-export" data-testid="onnx-export">
      <div className="onnx-export-actions">
        <button type="button" className="secondary" onClick={() => void download()} disabled={disabled || exporting.state === 'running'}>
          {exporting.state === 'running' ? 'Exporting…' : 'Export for transformers.js'}
        </button>
        <button type="button" className="secondary" onClick={() => void verify()} disabled={disabled || verifying.state === 'running'}>
          {verifying.state === 'running' ? 'Verifying…' : 'Verify in onnxruntime-web'}
        </button>
      </div>
      <p className="muted small">
        A zip of an ONNX folder (onnx/model.onnx, config and tokenizer files) to load with transformers.js&apos; <code>AutoModelForCausalLM</code> or a text-generation
        pipeline. Verify runs it in onnxruntime-web on up to {VERIFY_PROMPTS} test prompts and compares the logits and label predictions with this app&apos;s engine.
      </p>
      {exporting.state === 'failed' && (
        <p role="alert" className="error-text">
          The ONNX export failed: {exporting.message}
        </p>
      )}
      {verifying.state === 'failed' && (
        <p role="alert" className="error-text">
          The verification failed: {verifying.message}
        </p>
      )}
      {verification && <VerificationView v={verification} />}
    </div>
  );
}

function VerificationView({ v }: { v: OnnxVerification }) {
  return (
    <div data-testid="onnx-verification" data-passed={String(v.passed)} data-provider={v.provider}>
      <p className={v.passed ? 'ok-text' : 'error-text'} role="status">
        {v.passed
          ? `The export matches the engine on ${v.prompts} test prompts.`
          : `The export does not match the engine: ${v.realDisagreements} predictions differ or the logits are further apart than the tolerance.`}
      </p>
      <table className="results">
        <tbody>
          <tr>
            <th scope="row">runtime</th>
            <td data-testid="onnx-provider">{PROVIDER[v.provider]}</td>
          </tr>
          <tr>
            <th scope="row">label predictions that agree</th>
            <td data-testid="onnx-agreement">
              {v.agreements}/{v.prompts}
            </td>
          </tr>
          <tr>
            <th scope="row">max |logit difference|</th>
            <td data-testid="onnx-max-abs">{v.maxAbsDiff.toExponential(2)}</td>
          </tr>
          <tr>
            <th scope="row">relative to the largest logit</th>
            <td data-testid="onnx-max-rel">
              {v.maxRelDiff.toExponential(2)} (tolerance {v.tolerance.toExponential(0)})
            </td>
          </tr>
        </tbody>
      </table>
      {v.fallback && <p className="muted small">WebGPU could not run it ({v.fallback}); WebAssembly did.</p>}
    </div>
  );
}
