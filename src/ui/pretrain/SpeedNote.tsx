import { isSoftwareAdapter } from '../../engine/device';
import { useGpuStore } from '../../store/gpu-store';
import { usePretrainStore } from '../../store/pretrain-store';
import { etaText, msPerStep, softwareAdapterText } from './eta';

/** How long the run takes on this adapter, once its first steps are timed; on a software adapter, that it is slow, before the run too. */
export function SpeedNote() {
  const status = useGpuStore((s) => s.status);
  const steps = usePretrainStore((s) => s.steps);
  const plan = usePretrainStore((s) => s.plan);
  if (status.state !== 'ready') return null;
  const { adapterName, adapter } = status.gpu;
  const ms = msPerStep(steps);
  const timed = ms !== null && plan ? { msPerStep: ms, steps: plan.steps } : null;
  return (
    <>
      {timed && plan && (
        <p className="pretrain-eta" data-testid="pretrain-eta">
          {etaText({ ...timed, batch: plan.batch, adapterName })}
        </p>
      )}
      {isSoftwareAdapter(adapter) && (
        <p className="pretrain-software" data-testid="pretrain-software" role="note">
          {softwareAdapterText(adapterName, timed)}
        </p>
      )}
    </>
  );
}
