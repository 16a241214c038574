/**
 * How the page steers a running run between steps: pause (resolves once the run is idle), resume,
 * stop, and the autosave point where the run waits for the page's answer.
 */
/** The pause gate and stop flag a run checks between steps. */
export class RunControl {
  private stopRequested = false;

  /** What the run does, for messages that refuse other work meanwhile. */
  constructor(readonly activity: 'training' | 'pretraining' = 'training') {}

  private gate: { promise: Promise<void>; open: () => void } | null = null;
  /** Pause requests waiting for the step in flight to end. */
  private pauseWaiters: (() => void)[] = [];

  /** Resolves once the run waits between steps (or has ended), so a paused run is really idle. */
  pause(): Promise<void> {
    if (!this.gate) {
      let open = () => {};
      const promise = new Promise<void>((resolve) => (open = resolve));
      this.gate = { promise, open };
    }
    return new Promise((resolve) => this.pauseWaiters.push(resolve));
  }

  resume(): void {
    this.gate?.open();
    this.gate = null;
  }

  stop(): void {
    this.stopRequested = true;
    this.resume();
    this.autosavePoint?.answer(false);
  }

  /** The save point the run waits at, until the page answers (or the run is stopped). */
  private autosavePoint: { readonly step: number; answer: (write: boolean) => void; readonly saved: Promise<AutosaveResult> } | null = null;

  /**
   * Waits after step `step` for the page's answer; when asked to write, reads the state off the GPU
   * (`read`: its errors are the run's, as any GPU error is) and stores it (`store`: its failure, a
   * full disk, only goes to the answer's reply, and the run goes on). The reply (see
   * `answerAutosave`) waits for the write.
   */
  async autosaveAt(step: number, read: () => Promise<Uint8Array>, store: (bytes: Uint8Array) => Promise<AutosaveResult>): Promise<void> {
    let answer: (write: boolean) => void = () => {};
    const write = new Promise<boolean>((resolve) => (answer = resolve));
    let settle: (result: Promise<AutosaveResult>) => void = () => {};
    const saved = new Promise<AutosaveResult>((resolve) => (settle = resolve));
    this.autosavePoint = { step, answer, saved };
    try {
      if (!(await write) || this.stopRequested) return settle(Promise.resolve(null));
      let bytes: Uint8Array;
      try {
        bytes = await read();
      } catch (error) {
        settle(Promise.reject(error));
        throw error;
      }
      const stored = store(bytes);
      settle(stored);
      await stored.catch(() => undefined);
    } finally {
      this.autosavePoint = null;
    }
  }

  /** The page's answer at save point `step`; null when the run is not waiting there (it was stopped meanwhile). */
  answerAutosave(step: number, write: boolean): Promise<AutosaveResult> {
    const point = this.autosavePoint;
    if (!point || point.step !== step) return Promise.resolve(null);
    point.answer(write);
    return point.saved;
  }

  /** Waits while paused; false when the run must stop. */
  async proceed(): Promise<boolean> {
    // One turn of the event loop, so a pause or stop that arrived during the step is seen before the next.
    await new Promise((resolve) => setTimeout(resolve, 0));
    while (this.gate && !this.stopRequested) {
      this.settlePauses();
      await this.gate.promise;
    }
    return !this.stopRequested;
  }

  settlePauses(): void {
    for (const resolve of this.pauseWaiters.splice(0)) resolve();
  }
}

/** What an autosave wrote, or null when it wrote nothing. */
export type AutosaveResult = { readonly bytes: number; readonly ms: number } | null;

