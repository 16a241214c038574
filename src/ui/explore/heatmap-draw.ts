/**
 * Paints one heatmap pane: the map as an image of one pixel per cell scaled up without smoothing
 * (so 1,000 × 1,000 cells cost one drawImage), then the axes, label marks and the hovered cell.
 */
import type { LabelKind } from './attention-data';
import { displayToken } from './attention-data';
import { MONO_FONT, type Palette } from './canvas';
import { labelStep, visibleRange, type Plot, type View } from './layout';
import { markColor } from './marks';

/** Room for row labels on the left and column labels on top, in CSS pixels. */
export const GUTTER = { left: 68, top: 60 } as const;
/** A cell this tall or more gets its token written on the axis. */
const TEXT_CELL_PX = 11;
const MARK_PX = 4;

export interface HeatmapScene {
  readonly image: CanvasImageSource;
  readonly tokens: readonly string[];
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly view: View;
  readonly plot: Plot;
  readonly hover: { readonly row: number; readonly col: number } | null;
  readonly palette: Palette;
}

function shortToken(token: string): string {
  const shown = displayToken(token);
  return shown.length > 9 ? `${shown.slice(0, 8)}…` : shown;
}

export function drawHeatmap(ctx: CanvasRenderingContext2D, scene: HeatmapScene): void {
  const { image, view, plot, hover, palette } = scene;
  const { left, top } = GUTTER;
  const cells = plot.size / view.cell;
  ctx.save();
  ctx.beginPath();
  ctx.rect(left, top, plot.size, plot.size);
  ctx.clip();
  ctx.imageSmoothingEnabled = false;
  ctx.drawImage(image, view.x0, view.y0, cells, cells, left, top, plot.size, plot.size);
  if (hover) {
    const x = left + (hover.col - view.x0) * view.cell;
    const y = top + (hover.row - view.y0) * view.cell;
    ctx.fillStyle = 'rgba(127, 127, 127, 0.14)';
    ctx.fillRect(left, y, plot.size, view.cell);
    ctx.fillRect(x, top, view.cell, plot.size);
    ctx.strokeStyle = palette.fg;
    ctx.lineWidth = 1.5;
    ctx.strokeRect(x, y, Math.max(view.cell, 2), Math.max(view.cell, 2));
  }
  ctx.restore();
  ctx.strokeStyle = palette.border;
  ctx.lineWidth = 1;
  ctx.strokeRect(left - 0.5, top - 0.5, plot.size + 1, plot.size + 1);
  drawAxes(ctx, scene);
}

function drawAxes(ctx: CanvasRenderingContext2D, { tokens, marks, view, plot, hover, palette }: HeatmapScene): void {
  const { left, top } = GUTTER;
  const text = view.cell >= TEXT_CELL_PX;
  const step = text ? 1 : labelStep(view.cell, 28);
  ctx.font = MONO_FONT;
  ctx.textBaseline = 'middle';
  const axis = (start: number, place: (offset: number, i: number) => void) => {
    const [from, to] = visibleRange(start, view, plot);
    for (let i = Math.ceil(from / step) * step; i < to; i += step) place((i - start + 0.5) * view.cell, i);
  };
  const label = (i: number) => (text ? shortToken(tokens[i]) : String(i));
  const colour = (i: number) => (hover && (hover.row === i || hover.col === i) ? palette.fg : palette.muted);
  axis(view.y0, (offset, i) => {
    ctx.fillStyle = colour(i);
    ctx.textAlign = 'right';
    ctx.fillText(label(i), left - MARK_PX - 4, top + offset);
  });
  axis(view.x0, (offset, i) => {
    ctx.save();
    ctx.translate(left + offset, top - MARK_PX - 4);
    ctx.rotate(-Math.PI / 3);
    ctx.fillStyle = colour(i);
    ctx.textAlign = 'left';
    ctx.fillText(label(i), 0, 0);
    ctx.restore();
  });
  // Label positions on both axes: a row mark is a query that is a label, a column mark a key.
  for (const [i, kind] of marks) {
    ctx.fillStyle = markColor(kind, palette);
    const size = Math.max(view.cell, 2);
    const y = top + (i - view.y0) * view.cell;
    const x = left + (i - view.x0) * view.cell;
    if (y + size > top && y < top + plot.size) ctx.fillRect(left - MARK_PX - 1, Math.max(y, top), MARK_PX, size);
    if (x + size > left && x < left + plot.size) ctx.fillRect(Math.max(x, left), top - MARK_PX - 1, size, MARK_PX);
  }
}

/** The map as an image, one pixel per cell, from RGBA pixels. */
export function matrixImage(pixels: Uint8ClampedArray<ArrayBuffer>, tokens: number): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  [canvas.width, canvas.height] = [tokens, tokens];
  canvas.getContext('2d')!.putImageData(new ImageData(pixels, tokens, tokens), 0, 0);
  return canvas;
}
