import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import type { LabelKind } from './attention-data';
import { crispContext, paletteOf, usePaint } from './canvas';
import { paintMatrix, type Scale, type Theme } from './colors';
import { drawHeatmap, GUTTER, matrixImage } from './heatmap-draw';
import { cellAt, panBy, zoomAt, type Plot, type View } from './layout';

export interface Cell {
  readonly row: number;
  readonly col: number;
}

interface HeatmapProps {
  readonly title: string;
  /** [T, T] row-major: row = query, column = key. */
  readonly values: Float32Array;
  readonly scale: Scale;
  readonly theme: Theme;
  readonly tokens: readonly string[];
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly plot: Plot;
  readonly view: View;
  readonly onView: (view: View) => void;
  readonly hover: Cell | null;
  readonly onHover: (cell: Cell | null) => void;
  readonly describe: (cell: Cell) => ReactNode;
  /** Called after each paint with how long building the image took (ms), for the timing line. */
  readonly onPainted?: (ms: number) => void;
}

const WHEEL_ZOOM = 1.0015;

/** A token × token attention map on one canvas: hover for a tooltip, Ctrl/⌘ + wheel to zoom, drag or wheel to scroll. */
export function Heatmap({ title, values, scale, theme, tokens, marks, plot, view, onView, hover, onHover, describe, onPainted }: HeatmapProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const drag = useRef<{ x: number; y: number } | null>(null);
  const [pointer, setPointer] = useState<{ x: number; y: number } | null>(null);
  const T = tokens.length;
  const built = useMemo(() => {
    const started = performance.now();
    const image = matrixImage(paintMatrix(values, T, scale, theme), T);
    return { image, ms: performance.now() - started };
  }, [values, T, scale, theme]);
  const width = GUTTER.left + plot.size + 8;
  const height = GUTTER.top + plot.size + 8;

  usePaint(() => {
    const element = canvas.current;
    if (element) drawHeatmap(crispContext(element, width, height), { image: built.image, tokens, marks, view, plot, hover, palette: paletteOf(element) });
  }, [built, tokens, marks, view, plot, hover, width, height]);
  useEffect(() => onPainted?.(built.ms), [built, onPainted]);

  // React's wheel listener is passive; zooming must be able to stop the page from scrolling.
  useEffect(() => {
    const element = canvas.current!;
    const onWheel = (event: WheelEvent) => {
      const [px, py] = plotPoint(element, event);
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        onView(zoomAt(view, WHEEL_ZOOM ** -event.deltaY, px, py, plot));
      } else if (view.cell > plot.size / plot.tokens) {
        event.preventDefault();
        onView(panBy(view, event.shiftKey ? -event.deltaY : -event.deltaX, event.shiftKey ? 0 : -event.deltaY, plot));
      }
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, [view, plot, onView]);

  const move = (event: React.PointerEvent<HTMLCanvasElement>) => {
    const [px, py] = plotPoint(event.currentTarget, event);
    if (drag.current) {
      onView(panBy(view, event.clientX - drag.current.x, event.clientY - drag.current.y, plot));
      drag.current = { x: event.clientX, y: event.clientY };
    }
    const cell = px <= plot.size && py <= plot.size ? cellAt(view, px, py, T) : null;
    const visible = cell && cell.col <= cell.row ? cell : null;
    if (visible?.row !== hover?.row || visible?.col !== hover?.col) onHover(visible);
    setPointer({ x: event.nativeEvent.offsetX, y: event.nativeEvent.offsetY });
  };

  return (
    <figure className="ex-heatmap">
      <figcaption>{title}</figcaption>
      <div className="ex-heatmap-canvas">
        <canvas
          ref={canvas}
          data-testid="heatmap-canvas"
          aria-label={`${title}: attention of each of the ${T} tokens (rows) to the tokens before it (columns)`}
          role="img"
          onPointerMove={move}
          onPointerDown={(e) => {
            drag.current = { x: e.clientX, y: e.clientY };
            e.currentTarget.setPointerCapture(e.pointerId);
          }}
          onPointerUp={() => (drag.current = null)}
          onPointerLeave={() => {
            onHover(null);
            setPointer(null);
          }}
          onDoubleClick={(e) => onView(zoomAt(view, 2, ...plotPoint(e.currentTarget, e), plot))}
        />
        {hover && pointer && (
          <div className="ex-tooltip" data-testid="heatmap-tooltip" style={tooltipPosition(pointer, width)}>
            {describe(hover)}
          </div>
        )}
      </div>
    </figure>
  );
}

/** The pointer in plot coordinates (CSS pixels from the map's top-left corner). */
function plotPoint(element: HTMLElement, event: { clientX: number; clientY: number }): [number, number] {
  const rect = element.getBoundingClientRect();
  return [event.clientX - rect.left - GUTTER.left, event.clientY - rect.top - GUTTER.top];
}

/** Beside the pointer, flipped to its left in the right half so it stays inside the pane. */
function tooltipPosition(pointer: { x: number; y: number }, width: number): React.CSSProperties {
  const right = pointer.x > width / 2;
  return { top: pointer.y + 14, ...(right ? { right: width - pointer.x + 14 } : { left: pointer.x + 14 }) };
}
