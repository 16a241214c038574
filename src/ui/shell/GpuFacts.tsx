import { formatBytes } from '../../engine/pool';
import type { GpuInfo } from '../../train/protocol';

/** The adapter's limits and features that decide which kernels and model sizes can run. */
export function GpuFacts({ gpu }: { gpu: GpuInfo }) {
  return (
    <dl className="facts">
      <dt>adapter</dt>
      <dd>{gpu.adapterName}</dd>
      <dt>largest storage buffer</dt>
      <dd>{formatBytes(gpu.maxStorageBufferBindingSize)}</dd>
      <dt>16-bit floats (shader-f16)</dt>
      <dd>{gpu.features.shaderF16 ? 'yes' : 'no'}</dd>
      <dt>subgroups</dt>
      <dd>{gpu.features.subgroups ? 'yes' : 'no'}</dd>
      <dt>GPU timers (timestamp-query)</dt>
      <dd>{gpu.features.timestampQuery ? 'yes' : 'no'}</dd>
    </dl>
  );
}
