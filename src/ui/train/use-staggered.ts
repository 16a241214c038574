import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { cancelRedraw, enqueueRedraw } from './render-queue';

/**
 * `value` as one part of the page shows it: updated at most once per `minIntervalMs`, always to
 * the latest value in the end, and in a task of its own (see render-queue.ts). The component that
 * calls it re-renders in that task, synchronously, so no other queued redraw joins it.
 */
export function useStaggered<T>(value: T, minIntervalMs: number): T {
  const [shown, setShown] = useState(value);
  const owner = useRef({});
  const lastShown = useRef(0);
  const shownRef = useRef(value);
  useEffect(() => {
    if (Object.is(value, shownRef.current)) return;
    const key = owner.current;
    const show = () =>
      enqueueRedraw(key, () => {
        lastShown.current = performance.now();
        shownRef.current = value;
        flushSync(() => setShown(() => value));
      });
    const wait = lastShown.current + minIntervalMs - performance.now();
    const timer = wait > 0 ? setTimeout(show, wait) : (show(), undefined);
    return () => {
      clearTimeout(timer);
      cancelRedraw(key);
    };
  }, [value, minIntervalMs]);
  return shown;
}

/** How long a chart's mount may wait for the page to be idle. */
const MOUNT_IDLE_TIMEOUT_MS = 1000;

/** Runs `run` once the page is idle (or after the timeout); returns its cancellation. */
function whenIdle(run: () => void): () => void {
  if (typeof requestIdleCallback !== 'function') {
    const timer = setTimeout(run, 0);
    return () => clearTimeout(timer);
  }
  const id = requestIdleCallback(run, { timeout: MOUNT_IDLE_TIMEOUT_MS });
  return () => cancelIdleCallback(id);
}

/**
 * False on the first render, true from a queued task of its own on: a chart mounts (its costliest
 * redraw) apart from the page's other work, and before a run needs it rather than on its first step.
 * It waits for the page to be idle, so that the steps load and the first controls answer first.
 */
export function useMountedInTurn(): boolean {
  const [mounted, setMounted] = useState(false);
  useEffect(() => {
    const key = {};
    const cancelIdle = whenIdle(() => enqueueRedraw(key, () => flushSync(() => setMounted(true))));
    return () => {
      cancelIdle();
      cancelRedraw(key);
    };
  }, []);
  return mounted;
}
