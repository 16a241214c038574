/**
 * Geometry of the heatmap: which cells a zoomed, scrolled view shows, which cell a pointer is on,
 * and how often an axis can name its tokens without the names overlapping.
 */

/** Pixels per cell and the cell at the view's top-left corner (fractional while scrolling). */
export interface View {
  readonly cell: number;
  readonly x0: number;
  readonly y0: number;
}

/** A plot of `size` CSS pixels square showing `tokens` × `tokens` cells. */
export interface Plot {
  readonly tokens: number;
  readonly size: number;
}

/** Zooming in further than this many pixels per cell shows nothing new. */
export const MAX_CELL_PX = 48;

export function fitView({ tokens, size }: Plot): View {
  return { cell: size / tokens, x0: 0, y0: 0 };
}

/** Keeps the view inside the map and its zoom between "all of it" and MAX_CELL_PX. */
export function clampView(view: View, plot: Plot): View {
  const cell = Math.min(Math.max(view.cell, plot.size / plot.tokens), Math.max(MAX_CELL_PX, plot.size / plot.tokens));
  const visible = plot.size / cell;
  const clamp = (v: number) => Math.min(Math.max(v, 0), Math.max(0, plot.tokens - visible));
  return { cell, x0: clamp(view.x0), y0: clamp(view.y0) };
}

/** Zooms by `factor`, keeping the cell under (px, py) in place. */
export function zoomAt(view: View, factor: number, px: number, py: number, plot: Plot): View {
  const cell = view.cell * factor;
  const [cx, cy] = [view.x0 + px / view.cell, view.y0 + py / view.cell];
  return clampView({ cell, x0: cx - px / cell, y0: cy - py / cell }, plot);
}

export function panBy(view: View, dxPx: number, dyPx: number, plot: Plot): View {
  return clampView({ ...view, x0: view.x0 - dxPx / view.cell, y0: view.y0 - dyPx / view.cell }, plot);
}

/** The cell under plot pixel (px, py): row = query, col = key; null outside the map. */
export function cellAt(view: View, px: number, py: number, tokens: number): { row: number; col: number } | null {
  const col = Math.floor(view.x0 + px / view.cell);
  const row = Math.floor(view.y0 + py / view.cell);
  if (px < 0 || py < 0 || col < 0 || row < 0 || col >= tokens || row >= tokens) return null;
  return { row, col };
}

/** The first and one-past-last token index the view shows along an axis starting at `start`. */
export function visibleRange(start: number, view: View, plot: Plot): [number, number] {
  return [Math.max(0, Math.floor(start)), Math.min(plot.tokens, Math.ceil(start + plot.size / view.cell))];
}

/**
 * Every how many tokens an axis writes a label: 1 when a cell is tall enough for text, otherwise
 * a round step (1, 2, 5, 10, 20, 50, …) whose labels are at least `minGapPx` apart.
 */
export function labelStep(cellPx: number, minGapPx: number): number {
  for (let magnitude = 1; ; magnitude *= 10) {
    for (const m of [1, 2, 5]) if (m * magnitude * cellPx >= minGapPx) return m * magnitude;
  }
}

/** Position i of `count` bars in `width` pixels: left edge and width (a gap of one pixel when bars are wide enough). */
export function barGeometry(i: number, count: number, width: number): { x: number; w: number } {
  const slot = width / count;
  const gap = slot >= 4 ? 1 : 0;
  return { x: i * slot, w: Math.max(slot - gap, 0.5) };
}
