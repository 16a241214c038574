import { formatBytes } from '../engine/pool';
import { useGpuStore } from '../store/gpu-store';

export function GpuStatusPanel() {
  const status = useGpuStore((s) => s.status);
  switch (status.state) {
    case 'detecting':
      return (
        <section className="panel" aria-live="polite" data-testid="gpu-status" data-state="detecting">
          <h2>GPU</h2>
          <p>Looking for a WebGPU adapter…</p>
        </section>
      );
    case 'ready': {
      const { gpu } = status;
      return (
        <section className="panel ok" aria-live="polite" data-testid="gpu-status" data-state="ready">
          <h2>GPU ready</h2>
          <p>
            WebGPU adapter: <strong>{gpu.adapterName}</strong>
          </p>
          <ul className="facts">
            <li>largest storage buffer: {formatBytes(gpu.maxStorageBufferBindingSize)}</li>
            <li>16-bit floats (shader-f16): {gpu.features.shaderF16 ? 'yes' : 'no'}</li>
            <li>subgroups: {gpu.features.subgroups ? 'yes' : 'no'}</li>
            <li>GPU timers (timestamp-query): {gpu.features.timestampQuery ? 'yes' : 'no'}</li>
          </ul>
        </section>
      );
    }
    case 'unavailable':
      return (
        <section className="panel error" role="alert" data-testid="gpu-status" data-state="unavailable">
          <h2>WebGPU is not available</h2>
          <p>{status.message}</p>
          <p>Training runs on your GPU through WebGPU, so nothing can be trained until it is enabled. Nothing you entered is lost.</p>
        </section>
      );
    case 'lost':
      return (
        <section className="panel error" role="alert" data-testid="gpu-status" data-state="lost">
          <h2>The GPU device was lost</h2>
          <p>{status.message}</p>
        </section>
      );
  }
}
