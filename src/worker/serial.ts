/**
 * Runs async jobs one at a time, in the order they were queued. The worker's GPU work goes through
 * one queue, so a request that arrives during training (attention, evaluation, export) runs
 * between two steps instead of inside one, and never sees half-updated weights.
 */
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job);
    this.tail = result.catch(() => {});
    return result;
  }
}
