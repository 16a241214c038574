import { useEffect, useRef, useState } from 'react';
import { flushSync } from 'react-dom';
import { CHART_INITIAL_WIDTH } from './chart-size';
import { cancelRedraw, enqueueRedraw } from './render-queue';

/**
 * The width of a chart's box, for a chart drawn at a fixed size. Unlike recharts'
 * ResponsiveContainer it keeps the last width while the step is hidden (a hidden box measures 0,
 * and a chart without a size unmounts, to mount again, its costliest redraw, when the step
 * opens), and each chart takes a new width in a redraw task of its own.
 */
export function usePlotWidth<E extends HTMLElement>(): [React.RefObject<E | null>, number] {
  const ref = useRef<E>(null);
  const [width, setWidth] = useState(CHART_INITIAL_WIDTH);
  useEffect(() => {
    const box = ref.current;
    if (!box) return;
    const owner = {};
    const observer = new ResizeObserver(([entry]) => {
      const measured = Math.floor(entry.contentRect.width);
      if (measured > 0) enqueueRedraw(owner, () => flushSync(() => setWidth(measured)));
    });
    observer.observe(box);
    return () => {
      observer.disconnect();
      cancelRedraw(owner);
    };
  }, []);
  return [ref, width];
}
