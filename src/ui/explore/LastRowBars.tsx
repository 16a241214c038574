import { useRef, useState } from 'react';
import { displayToken, type LabelKind } from './attention-data';
import { crispContext, MONO_FONT, paletteOf, usePaint, useWidth, type Palette } from './canvas';
import { barGeometry } from './layout';
import { markColor } from './marks';

interface LastRowBarsProps {
  readonly tokens: readonly string[];
  readonly marks: ReadonlyMap<number, LabelKind>;
  /** The last row: probabilities, or fine-tuned − base when `signed`. */
  readonly values: Float32Array;
  /** Drawn as a tick over each bar: the base weights beside the fine-tuned ones. */
  readonly reference: Float32Array | null;
  readonly signed: boolean;
  readonly highlight: number | null;
  readonly onHover: (col: number | null) => void;
}

const HEIGHT = 132;
const AXIS = { left: 44, top: 8, bottom: 8 } as const;

/** Where the last token (the one that names the label) looks: one bar per token, labels coloured. */
export function LastRowBars({ tokens, marks, values, reference, signed, highlight, onHover }: LastRowBarsProps) {
  const box = useRef<HTMLDivElement>(null);
  const canvas = useRef<HTMLCanvasElement>(null);
  const width = useWidth(box, 640);
  const [pointerX, setPointerX] = useState(0);
  const plotWidth = Math.max(width - AXIS.left - 4, 10);
  const top = topOf(values, reference, signed);

  usePaint(() => {
    const element = canvas.current;
    if (element) drawBars(crispContext(element, width, HEIGHT), { values, reference, signed, marks, highlight, top, plotWidth, palette: paletteOf(element) });
  }, [values, reference, signed, marks, highlight, top, plotWidth, width]);

  const hovered = highlight === null ? null : { token: tokens[highlight], value: values[highlight], base: reference?.[highlight] };
  return (
    <figure className="ex-bars" ref={box}>
      <figcaption>
        Last row: where “{displayToken(tokens.at(-1) ?? '')}” (the token that names the label) looks{signed ? ', fine-tuned − base' : ''}
      </figcaption>
      <div className="ex-bars-canvas">
        <canvas
          ref={canvas}
          data-testid="last-row-bars"
          data-bars={values.length}
          role="img"
          aria-label={`Attention of the last token to each of the ${values.length} tokens`}
          onPointerMove={(e) => {
            const x = e.nativeEvent.offsetX - AXIS.left;
            const col = Math.floor((x / plotWidth) * values.length);
            onHover(x >= 0 && col < values.length ? col : null);
            setPointerX(e.nativeEvent.offsetX);
          }}
          onPointerLeave={() => onHover(null)}
        />
        {hovered && (
          <div className="ex-tooltip" data-testid="bars-tooltip" style={pointerX > width / 2 ? { right: width - pointerX + 12, top: 8 } : { left: pointerX + 12, top: 8 }}>
            <span className="ex-token">{displayToken(hovered.token)}</span> <span className="muted">#{highlight}</span>
            <br />
            {signed ? 'Δ ' : ''}
            {formatWeight(hovered.value, signed)}
            {hovered.base !== undefined && <span className="muted"> · base {formatWeight(hovered.base, false)}</span>}
          </div>
        )}
      </div>
    </figure>
  );
}

export function formatWeight(value: number, signed: boolean): string {
  const text = Math.abs(value) >= 0.001 || value === 0 ? value.toFixed(3) : value.toExponential(1);
  return signed && value > 0 ? `+${text}` : text;
}

/** The axis's end: the largest bar (or |bar| when signed), rounded up to a readable value. */
function topOf(values: Float32Array, reference: Float32Array | null, signed: boolean): number {
  let max = 0;
  for (const v of values) max = Math.max(max, signed ? Math.abs(v) : v);
  for (const v of reference ?? []) max = Math.max(max, v);
  return max > 0 ? max : 1;
}

interface BarsScene {
  readonly values: Float32Array;
  readonly reference: Float32Array | null;
  readonly signed: boolean;
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly highlight: number | null;
  readonly top: number;
  readonly plotWidth: number;
  readonly palette: Palette;
}

function drawBars(ctx: CanvasRenderingContext2D, { values, reference, signed, marks, highlight, top, plotWidth, palette }: BarsScene): void {
  const plotHeight = HEIGHT - AXIS.top - AXIS.bottom;
  const zeroY = AXIS.top + (signed ? plotHeight / 2 : plotHeight);
  const scaleY = (signed ? plotHeight / 2 : plotHeight) / top;
  ctx.font = MONO_FONT;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (const tick of signed ? [top, 0, -top] : [top, top / 2, 0]) {
    const y = zeroY - tick * scaleY;
    ctx.fillStyle = palette.muted;
    ctx.fillText(formatWeight(tick, signed), AXIS.left - 6, y);
    ctx.fillStyle = palette.border;
    ctx.fillRect(AXIS.left, Math.round(y), plotWidth, 1);
  }
  for (let i = 0; i < values.length; i++) {
    const { x, w } = barGeometry(i, values.length, plotWidth);
    const kind = marks.get(i);
    ctx.globalAlpha = highlight === null || highlight === i ? 1 : 0.55;
    ctx.fillStyle = kind ? markColor(kind, palette) : palette.bar;
    const h = values[i] * scaleY;
    ctx.fillRect(AXIS.left + x, h >= 0 ? zeroY - h : zeroY, w, Math.max(Math.abs(h), 0.5));
    if (reference) {
      ctx.fillStyle = palette.fg;
      ctx.fillRect(AXIS.left + x, zeroY - reference[i] * scaleY - 1, w, 2);
    }
  }
  ctx.globalAlpha = 1;
}
