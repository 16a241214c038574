import { memo, useRef } from 'react';
import type { HeadFocus } from '../../store/nav-store';
import { labelMass, type LabelKind } from './attention-data';
import { crispContext, paletteOf, usePaint } from './canvas';
import { markColor } from './marks';

/** One head's last row, ready to draw: probabilities, or fine-tuned − base when `signed`. */
export interface HeadRow {
  readonly values: Float32Array;
  readonly signed: boolean;
}

interface ThumbnailsProps {
  /** [layer][head]. */
  readonly rows: readonly (readonly HeadRow[])[];
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly selected: HeadFocus | null;
  readonly onOpen: (focus: HeadFocus) => void;
}

const SIZE = { width: 76, height: 30 } as const;

/** Every layer × head at a glance: the last token's attention as a sparkline, with its share on label tokens. */
export function Thumbnails({ rows, marks, selected, onOpen }: ThumbnailsProps) {
  const heads = rows[0]?.length ?? 0;
  return (
    <div className="ex-thumbs" role="grid" aria-label="Attention of the last token, per layer and head" style={{ gridTemplateColumns: `auto repeat(${heads}, ${SIZE.width + 8}px)` }}>
      <div role="row" className="ex-thumbs-row">
        <span />
        {Array.from({ length: heads }, (_, h) => (
          <span key={h} role="columnheader" className="ex-axis-name">
            H{h}
          </span>
        ))}
      </div>
      {rows.map((headRows, layer) => (
        <div role="row" className="ex-thumbs-row" key={layer}>
          <span role="rowheader" className="ex-axis-name">
            L{layer}
          </span>
          {headRows.map((row, head) => (
            <Thumbnail
              key={head}
              layer={layer}
              head={head}
              row={row}
              marks={marks}
              selected={selected?.layer === layer && selected.head === head}
              onOpen={onOpen}
            />
          ))}
        </div>
      ))}
    </div>
  );
}

interface ThumbnailProps {
  readonly layer: number;
  readonly head: number;
  readonly row: HeadRow;
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly selected: boolean;
  readonly onOpen: (focus: HeadFocus) => void;
}

const Thumbnail = memo(function Thumbnail({ layer, head, row, marks, selected, onOpen }: ThumbnailProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  usePaint(() => {
    const element = canvas.current;
    if (element) drawSparkline(crispContext(element, SIZE.width, SIZE.height), row, marks, paletteOf(element));
  }, [row, marks]);
  const mass = labelMass(row.values, marks);
  const share = marks.size === 0 ? '' : `${row.signed && mass > 0 ? '+' : ''}${(mass * 100).toFixed(row.signed ? 1 : 0)}%`;
  return (
    <button
      type="button"
      role="gridcell"
      className={`ex-thumb${selected ? ' selected' : ''}`}
      data-testid="thumbnail"
      data-layer={layer}
      data-head={head}
      aria-pressed={selected}
      title={`Layer ${layer}, head ${head}${share ? `: ${share} of the last token's attention ${row.signed ? 'change ' : ''}on label tokens` : ''}. Click to open.`}
      onClick={() => onOpen({ layer, head })}
    >
      <canvas ref={canvas} aria-hidden="true" />
      {share && <span className="ex-thumb-share">{share}</span>}
    </button>
  );
});

/** Bars squeezed to the thumbnail's width: each pixel column shows the largest weight (or change) it covers. */
function drawSparkline(ctx: CanvasRenderingContext2D, { values, signed }: HeadRow, marks: ReadonlyMap<number, LabelKind>, palette: ReturnType<typeof paletteOf>): void {
  const { width, height } = SIZE;
  const T = values.length;
  let top = 0;
  for (const v of values) top = Math.max(top, Math.abs(v));
  if (top === 0) top = 1;
  const zero = signed ? height / 2 : height - 1;
  const scale = (signed ? height / 2 - 1 : height - 2) / top;
  const slot = width / T;
  for (let i = 0; i < T; i++) {
    const kind = marks.get(i);
    ctx.fillStyle = kind ? markColor(kind, palette) : palette.bar;
    const h = values[i] * scale;
    ctx.fillRect(i * slot, h >= 0 ? zero - h : zero, Math.max(slot - (slot > 3 ? 1 : 0), 0.6), Math.max(Math.abs(h), 0.5));
  }
}
