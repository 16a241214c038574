/**
 * Redraws taken one per task. A recharts chart costs tens of milliseconds to redraw on a slow
 * machine; when a training step updates four charts and the head grid at once, doing them in one
 * task blocks the page for longer than a frame budget (50 ms "long task"). Queued here, each
 * redraw is its own task, so input and painting get in between.
 */
type Job = () => void;

// Insertion order is the run order; a newer job for the same owner keeps its place in line.
const jobs = new Map<object, Job>();
let pumping = false;

function pump(): void {
  const next = jobs.entries().next();
  if (next.done) {
    pumping = false;
    return;
  }
  const [owner, job] = next.value;
  jobs.delete(owner);
  try {
    job();
  } finally {
    // A macrotask, not a microtask: the browser may handle input and paint before the next redraw.
    // Scheduled even when a job throws, so one failed redraw does not stop every later one.
    setTimeout(pump, 0);
  }
}

/** Runs `job` in a task of its own, after the redraws queued before it; replaces `owner`'s waiting job. */
export function enqueueRedraw(owner: object, job: Job): void {
  jobs.set(owner, job);
  if (!pumping) {
    pumping = true;
    setTimeout(pump, 0);
  }
}

export function cancelRedraw(owner: object): void {
  jobs.delete(owner);
}

/** How many redraws wait (for tests). */
export function queuedRedraws(): number {
  return jobs.size;
}
