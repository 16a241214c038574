/**
 * How long a pretraining run takes here, from the speed of its first steps: seconds per step on
 * this adapter, the whole run, and when the recipe's phase change would come.
 * The first step is left out of the speed: it compiles every kernel's shader.
 */
import { CLASSROOM_MODEL } from '../../classroom-model';
import { summarize } from '../../bench/stats';
import type { PretrainStepReport } from '../../train/protocol';

/** Timed steps (after the first) the estimate waits for. */
export const ETA_AFTER_STEPS = 2;

/** The median time of the steps after the first, once there are ETA_AFTER_STEPS of them; null before. */
export function msPerStep(steps: readonly PretrainStepReport[]): number | null {
  // The latest steps: a long run's speed is the one it has now, not at its start.
  const timed = steps.slice(1).slice(-50).map((s) => s.ms);
  if (timed.length < ETA_AFTER_STEPS) return null;
  return summarize(timed).median;
}

export function formatDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 90) return `${Math.max(1, Math.round(s))} s`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min`;
  if (s < 48 * 3600) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} days`;
}

function formatStepTime(ms: number): string {
  return ms < 100 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export interface EtaInput {
  readonly msPerStep: number;
  readonly steps: number;
  readonly batch: number;
  readonly adapterName: string;
}

/** "x.x s per step on <adapter>: the N steps would take about …; the phase change … came at steps …". */
export function etaText({ msPerStep, steps, batch, adapterName }: EtaInput): string {
  const { from, to, batch: phaseBatch } = CLASSROOM_MODEL.phaseChange;
  const whole = `${formatStepTime(msPerStep)} per step on ${adapterName}: the ${steps.toLocaleString('en-US')} steps would take about ${formatDuration(msPerStep * steps)}`;
  const atBatch = batch === phaseBatch ? '' : ` at ${phaseBatch} sequences a step`;
  const reach = steps < from ? `, past this run's ${steps.toLocaleString('en-US')} steps` : `, about ${formatDuration(msPerStep * from)} in at this speed`;
  return `${whole}; the phase change of this recipe came at steps ${from}-${to}${atBatch}${reach}.`;
}

/** Said on a software adapter, with how long the run would take there. */
export function softwareAdapterText(adapterName: string, run: { readonly msPerStep: number; readonly steps: number } | null): string {
  const how = run ? ` The ${run.steps.toLocaleString('en-US')} steps would take about ${formatDuration(run.msPerStep * run.steps)} here.` : ' How long the run would take shows after its first steps.';
  return `${adapterName} is a software adapter: it runs the GPU's work on the CPU, so pretraining here is slow.${how} You can still run it, and stop it at any step.`;
}
