import { useGpuStore } from '../../store/gpu-store';

/** WebGPU missing or the device lost: stated in the page itself, with what to do, since nothing can train until then. */
export function GpuAlert() {
  const status = useGpuStore((s) => s.status);
  if (status.state !== 'unavailable' && status.state !== 'lost') return null;
  const unavailable = status.state === 'unavailable';
  return (
    <section className="gpu-alert" role="alert" data-testid="gpu-status" data-state={status.state}>
      <h2>{unavailable ? 'WebGPU is not available' : 'The GPU device was lost'}</h2>
      <p>{status.message}</p>
      <p>
        {unavailable
          ? 'Training runs on your GPU through WebGPU, so nothing can be trained until it is enabled.'
          : 'The model and any run in progress were on the GPU; reload the page to get a new device and load the model again.'}{' '}
        Your datasets, settings and run history are kept in this browser.
      </p>
      {!unavailable && (
        <button type="button" onClick={() => location.reload()}>
          Reload the page
        </button>
      )}
    </section>
  );
}
