/**
 * When a run saves its state (weights, Adam, 𝒜, steps) so that a reload or a crash can resume it.
 * A save reads the trained tensors and both Adam moments back and writes them: 12 bytes per
 * trained weight, about 170 MB for GPT-2's W_Q/W_K. The default keeps that under 2 % of the
 * training time and writes at most every 5 s, after saving once right after the first step (a
 * run is resumable early, and the first save measures what one costs). See README, "Interrupted runs".
 */
import { InputError } from '../data/dataset';

/** Autosave names start with "." so that no checkpoint a user names can overwrite one (checkCheckpointName refuses it). */
const PREFIX = '.autosave-';
export const AUTOSAVE_MIN_INTERVAL_MS = 5_000;
export const AUTOSAVE_TIME_SHARE = 0.02;

export function autosaveName(runId: string): string {
  if (!/^[\w-]{1,64}$/.test(runId)) throw new InputError(`The run id ${JSON.stringify(runId)} cannot name an autosave; it must be 1 to 64 letters, digits, "-" or "_".`);
  return PREFIX + runId;
}

export function isAutosaveName(name: string): boolean {
  return name.startsWith(PREFIX);
}

export class AutosaveSchedule {
  private lastSaveEnd: number;
  private lastSaveMs: number | null = null;

  constructor(
    /** Save after every this many steps instead (tests, or a user who wants a fixed rhythm). */
    private readonly everySteps: number | null,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.lastSaveEnd = now();
  }

  /** Whether to save after the step that brought the run to `stepsDone`; never after its last, which ends the run. */
  due(stepsDone: number, targetSteps: number): boolean {
    if (stepsDone >= targetSteps) return false;
    if (this.everySteps !== null) return stepsDone % this.everySteps === 0;
    if (this.lastSaveMs === null) return true;
    return this.now() - this.lastSaveEnd >= Math.max(AUTOSAVE_MIN_INTERVAL_MS, this.lastSaveMs / AUTOSAVE_TIME_SHARE);
  }

  saved(ms: number): void {
    this.lastSaveMs = ms;
    this.lastSaveEnd = this.now();
  }
}
