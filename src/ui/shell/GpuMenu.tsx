import { useRef } from 'react';
import { useGpuStore, type GpuStatus } from '../../store/gpu-store';
import { SelfCheckPanel } from '../SelfCheckPanel';
import { GpuFacts } from './GpuFacts';
import { useDismiss } from './use-dismiss';

const TONE: Readonly<Record<GpuStatus['state'], string>> = { detecting: 'pending', ready: 'ok', unavailable: 'error', lost: 'error' };

/** The badge's text; while detecting or ready it also carries the status the tests read (errors carry it in GpuAlert). */
function BadgeText({ status }: { status: GpuStatus }) {
  switch (status.state) {
    case 'detecting':
      return <span>Looking for a GPU…</span>;
    case 'ready':
      return <strong className="badge-name">{status.gpu.adapterName}</strong>;
    case 'unavailable':
      return <span>No WebGPU</span>;
    case 'lost':
      return <span>GPU lost</span>;
  }
}

/** The GPU section: a compact badge in the header that opens the adapter's facts and the kernel self-check. */
export function GpuMenu() {
  const status = useGpuStore((s) => s.status);
  const ref = useRef<HTMLDetailsElement>(null);
  useDismiss(ref);
  const carriesStatus = status.state === 'detecting' || status.state === 'ready';

  return (
    <details className="gpu-menu" ref={ref}>
      <summary
        className={`badge ${TONE[status.state]}`}
        aria-label={`GPU: ${status.state === 'ready' ? status.gpu.adapterName : status.state}. Open the GPU section`}
        {...(carriesStatus ? { 'data-testid': 'gpu-status', 'data-state': status.state, 'aria-live': 'polite' } : {})}
      >
        <span className="dot" aria-hidden="true" />
        <BadgeText status={status} />
      </summary>
      <div className="popover" role="group" aria-label="GPU">
        <h2>GPU</h2>
        {status.state === 'ready' ? <GpuFacts gpu={status.gpu} /> : <p className="muted">{status.state === 'detecting' ? 'Looking for a WebGPU adapter…' : 'No usable WebGPU device: see the message on the page.'}</p>}
        <SelfCheckPanel />
      </div>
    </details>
  );
}
