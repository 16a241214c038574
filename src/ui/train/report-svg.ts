/** Self-contained SVG charts for the downloadable summary: literal colours, no CSS from the app. */
import type { HeadCell } from './series';

const W = 440;
const H = 170;
const PAD = { left: 52, right: 12, top: 26, bottom: 26 };
export const RUN_COLORS = ['#2563eb', '#ea580c'] as const;

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const num = (v: number) => (Math.abs(v) >= 1000 || (v !== 0 && Math.abs(v) < 0.01) ? v.toExponential(2) : String(Number(v.toPrecision(4))));

export interface SvgSeries {
  readonly name: string;
  readonly points: readonly (readonly [number, number | null])[];
}

function frame(title: string, body: string): string {
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${escapeHtml(title)}" font-family="system-ui, sans-serif" font-size="11">` +
    `<rect width="${W}" height="${H}" fill="#fff"/><text x="${PAD.left}" y="15" font-size="12" font-weight="600" fill="#1b1f24">${escapeHtml(title)}</text>${body}</svg>`
  );
}

/** Lines over steps; a null value breaks its line, as in the app. */
export function lineChartSvg(title: string, series: readonly SvgSeries[]): string {
  const all = series.flatMap((s) => s.points.filter((p): p is readonly [number, number] => p[1] !== null));
  if (all.length === 0) return frame(title, `<text x="${PAD.left}" y="${H / 2}" fill="#5a6472">no values</text>`);
  const xs = all.map((p) => p[0]);
  const ys = all.map((p) => p[1]);
  const [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (y0 === y1) [y0, y1] = [y0 - Math.abs(y0 || 1) * 0.1, y1 + Math.abs(y1 || 1) * 0.1];
  const px = (x: number) => PAD.left + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - ((y - y0) / (y1 - y0)) * (H - PAD.top - PAD.bottom);
  const axes =
    `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#d9dee5"/>` +
    [y0, y1].map((y) => `<text x="${PAD.left - 6}" y="${py(y) + 4}" text-anchor="end" fill="#5a6472">${num(y)}</text>`).join('') +
    [x0, x1].map((x) => `<text x="${px(x)}" y="${H - 8}" text-anchor="middle" fill="#5a6472">step ${x}</text>`).join('');
  const lines = series
    .map((s, i) => {
      const color = RUN_COLORS[i % RUN_COLORS.length];
      const path = s.points.map(([x, y], j) => (y === null ? '' : `${j === 0 || s.points[j - 1][1] === null ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)).join('');
      const dots = s.points.length < 12 ? s.points.map(([x, y]) => (y === null ? '' : `<circle cx="${px(x).toFixed(1)}" cy="${py(y).toFixed(1)}" r="2.5" fill="${color}"/>`)).join('') : '';
      const legend = series.length > 1 ? `<text x="${W - PAD.right}" y="${15 + i * 13}" text-anchor="end" fill="${color}">${escapeHtml(s.name)}</text>` : '';
      return `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.75"/>${dots}${legend}`;
    })
    .join('');
  return frame(title, axes + lines);
}

/** Grouped bars 'before' and 'after', in percent, one bar per run. */
export function accuracySvg(title: string, runs: readonly { name: string; before: number | null; after: number | null }[]): string {
  const groupW = (W - PAD.left - PAD.right) / 2;
  const barW = Math.min(48, (groupW * 0.6) / runs.length);
  const py = (v: number) => H - PAD.bottom - (v / 100) * (H - PAD.top - PAD.bottom);
  const bars = (['before', 'after'] as const)
    .map((when, g) => {
      const left = PAD.left + g * groupW + (groupW - barW * runs.length) / 2;
      const group = runs
        .map((r, i) => {
          const v = r[when];
          if (v === null) return '';
          const x = left + i * barW;
          return `<rect x="${x.toFixed(1)}" y="${py(v).toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${(H - PAD.bottom - py(v)).toFixed(1)}" fill="${RUN_COLORS[i % 2]}"/><text x="${(x + barW / 2).toFixed(1)}" y="${(py(v) - 3).toFixed(1)}" text-anchor="middle" fill="#5a6472">${v.toFixed(1)}%</text>`;
        })
        .join('');
      return `${group}<text x="${(PAD.left + g * groupW + groupW / 2).toFixed(1)}" y="${H - 8}" text-anchor="middle" fill="#5a6472">${when}</text>`;
    })
    .join('');
  const axis = `<line x1="${PAD.left}" y1="${H - PAD.bottom}" x2="${W - PAD.right}" y2="${H - PAD.bottom}" stroke="#d9dee5"/><text x="${PAD.left - 6}" y="${py(100) + 4}" text-anchor="end" fill="#5a6472">100</text><text x="${PAD.left - 6}" y="${py(0) + 4}" text-anchor="end" fill="#5a6472">0</text>`;
  const legend = runs.length > 1 ? runs.map((r, i) => `<text x="${W - PAD.right}" y="${15 + i * 13}" text-anchor="end" fill="${RUN_COLORS[i % 2]}">${escapeHtml(r.name)}</text>`).join('') : '';
  return frame(title, axis + bars + legend);
}

function mix(a: string, b: string, t: number): string {
  const ch = (hex: string, i: number) => parseInt(hex.slice(1 + 2 * i, 3 + 2 * i), 16);
  return `#${[0, 1, 2].map((i) => Math.round(ch(a, i) * t + ch(b, i) * (1 - t)).toString(16).padStart(2, '0')).join('')}`;
}

const NEUTRAL = '#9aa1ab';

/** The layer × head grid as the app draws it: wrong (orange), even (grey), correct (blue); depth from label attention. */
export function headGridSvg(title: string, cells: readonly (readonly HeadCell[])[]): string {
  const heads = cells[0]?.length ?? 0;
  const size = Math.max(8, Math.min(24, Math.floor((W - 60) / Math.max(heads, 1)), Math.floor(400 / Math.max(cells.length, 1))));
  const height = 40 + cells.length * size;
  const rects = cells
    .flatMap((row) =>
      row.map((c) => {
        const hue = mix(c.share >= 0.5 ? RUN_COLORS[0] : RUN_COLORS[1], NEUTRAL, Math.abs(c.share - 0.5) * 2);
        const fill = mix(hue, '#ffffff', 0.12 + 0.83 * Math.sqrt(c.strength));
        return `<rect x="${40 + c.head * size}" y="${28 + c.layer * size}" width="${size - 2}" height="${size - 2}" rx="2" fill="${fill}"${c.passes ? '' : ' stroke="#5a6472" stroke-dasharray="2 2"'}><title>${escapeHtml(c.label)}</title></rect>`;
      }),
    )
    .join('');
  const labels = cells.map((_, l) => `<text x="34" y="${28 + l * size + size / 2 + 3}" text-anchor="end" fill="#5a6472">L${l}</text>`).join('');
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" role="img" aria-label="${escapeHtml(title)}" font-family="system-ui, sans-serif" font-size="10">` +
    `<rect width="${W}" height="${height}" fill="#fff"/><text x="40" y="15" font-size="12" font-weight="600" fill="#1b1f24">${escapeHtml(title)}</text>${labels}${rects}</svg>`
  );
}
