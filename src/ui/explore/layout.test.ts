import { describe, expect, it } from 'vitest';
import { barGeometry, cellAt, clampView, fitView, labelStep, MAX_CELL_PX, panBy, visibleRange, zoomAt } from './layout';

const plot = { tokens: 1000, size: 500 };

describe('heatmap layout', () => {
  it('fits the whole map, and never zooms out past it or in past MAX_CELL_PX', () => {
    expect(fitView(plot)).toEqual({ cell: 0.5, x0: 0, y0: 0 });
    expect(clampView({ cell: 0.1, x0: 5, y0: 5 }, plot)).toEqual({ cell: 0.5, x0: 0, y0: 0 });
    expect(clampView({ cell: 1000, x0: 0, y0: 0 }, plot).cell).toBe(MAX_CELL_PX);
    // A short prompt in a large plot: its cells may be larger than MAX_CELL_PX at fit.
    expect(clampView(fitView({ tokens: 5, size: 500 }), { tokens: 5, size: 500 }).cell).toBe(100);
  });

  it('keeps the cell under the pointer in place when zooming, and stays inside the map when panning', () => {
    const zoomed = zoomAt(fitView(plot), 4, 250, 100, plot);
    expect(zoomed.cell).toBe(2);
    expect(cellAt(zoomed, 250, 100, plot.tokens)).toEqual(cellAt(fitView(plot), 250, 100, plot.tokens));
    expect(panBy(zoomed, 1e6, 1e6, plot)).toMatchObject({ x0: 0, y0: 0 });
    expect(panBy(zoomed, -1e6, -1e6, plot)).toMatchObject({ x0: 750, y0: 750 });
  });

  it('finds the hovered cell as (query row, key column), null outside', () => {
    const view = { cell: 10, x0: 3, y0: 7 };
    expect(cellAt(view, 25, 5, 20)).toEqual({ row: 7, col: 5 });
    expect(cellAt(view, -1, 5, 20)).toBeNull();
    expect(cellAt(view, 1000, 5, 20)).toBeNull();
  });

  it('lists the tokens a scrolled view shows', () => {
    expect(visibleRange(10.5, { cell: 5, x0: 10.5, y0: 0 }, plot)).toEqual([10, 111]);
    expect(visibleRange(0, fitView(plot), plot)).toEqual([0, 1000]);
  });

  it('writes every token when cells are tall enough, else a round step of indices', () => {
    expect(labelStep(30, 28)).toBe(1);
    expect(labelStep(10, 28)).toBe(5);
    expect(labelStep(0.5, 28)).toBe(100);
    expect(labelStep(0.05, 28)).toBe(1000);
  });

  it('spreads bars over the width, with a gap only when they are wide', () => {
    expect(barGeometry(2, 10, 100)).toEqual({ x: 20, w: 9 });
    expect(barGeometry(0, 1000, 500)).toEqual({ x: 0, w: 0.5 });
  });
});
