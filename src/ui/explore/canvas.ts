/** Canvas plumbing shared by the explorer's views: crisp drawing at any devicePixelRatio, theme colours. */
import { useEffect, useState, type DependencyList, type RefObject } from 'react';

/** Sizes the canvas's backing store to its CSS size × devicePixelRatio and returns a context in CSS pixels. */
export function crispContext(canvas: HTMLCanvasElement, width: number, height: number): CanvasRenderingContext2D {
  const dpr = window.devicePixelRatio || 1;
  const [w, h] = [Math.round(width * dpr), Math.round(height * dpr)];
  if (canvas.width !== w || canvas.height !== h) [canvas.width, canvas.height] = [w, h];
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** The app's CSS variables the canvases draw with, read from the element so both themes work. */
export interface Palette {
  readonly fg: string;
  readonly muted: string;
  readonly border: string;
  readonly panel: string;
  readonly accent: string;
  readonly plus: string;
  readonly minus: string;
  readonly label: string;
  readonly bar: string;
}

export function paletteOf(element: Element): Palette {
  const style = getComputedStyle(element);
  const v = (name: string) => style.getPropertyValue(name).trim();
  return {
    fg: v('--fg'),
    muted: v('--muted'),
    border: v('--border'),
    panel: v('--panel'),
    accent: v('--accent'),
    plus: v('--ex-plus'),
    minus: v('--ex-minus'),
    label: v('--ex-label'),
    bar: v('--ex-bar'),
  };
}

/** The element's content width, followed as it changes. */
export function useWidth(ref: RefObject<HTMLElement | null>, fallback: number): number {
  const [width, setWidth] = useState(fallback);
  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    const observer = new ResizeObserver(([entry]) => setWidth(Math.floor(entry.contentRect.width)));
    observer.observe(element);
    return () => observer.disconnect();
  }, [ref]);
  return width;
}

/**
 * Paints on the next frame: hovering repaints at most once a frame, and the theme's CSS variables
 * are in place by then even when the theme changed in this same commit.
 */
export function usePaint(paint: () => void, deps: DependencyList): void {
  useEffect(() => {
    const frame = requestAnimationFrame(paint);
    return () => cancelAnimationFrame(frame);
  }, deps);
}

export const MONO_FONT = "11px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace";
