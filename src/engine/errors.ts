/** The GPU device went away (driver reset, tab in background too long, out of memory). Everything on it is gone. */
export class GpuDeviceLostError extends Error {
  constructor(readonly reason: string, detail: string) {
    super(
      `The GPU device was lost (${reason}${detail ? `: ${detail}` : ''}). ` +
        'All GPU work was stopped; your data is kept. Reload the model to continue; if it happens again, close other GPU-heavy tabs or use a smaller model.',
    );
    this.name = 'GpuDeviceLostError';
  }
}

/** The driver could not allocate a buffer: names what was being allocated and what the app already holds. */
export class GpuOutOfMemoryError extends Error {
  constructor(detail: string) {
    super(
      `The GPU ran out of memory: ${detail}. Nothing was lost and the GPU is still usable. ` +
        'Use a smaller model, pseudo-batch, micro-batch or prompt length, or close other GPU-heavy tabs and applications.',
    );
    this.name = 'GpuOutOfMemoryError';
  }
}

/** No usable WebGPU adapter: the message says what to do about it. */
export class WebGpuUnavailableError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'WebGpuUnavailableError';
  }
}

/** A tensor's shape or dtype does not fit the op it was given to. */
export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}
