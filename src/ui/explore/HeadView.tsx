import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { ExploreMode, OpenHead } from '../../store/explore-store';
import { difference, displayToken, symmetricScale, type LabelKind } from './attention-data';
import { useWidth } from './canvas';
import type { Scale, Theme } from './colors';
import { Heatmap, type Cell } from './Heatmap';
import { GUTTER } from './heatmap-draw';
import { LastRowBars, formatWeight } from './LastRowBars';
import { fitView, zoomAt, type Plot, type View } from './layout';
import { Legend } from './Legend';

const PROBABILITY: Scale = { kind: 'probability' };
const MAX_PLOT_PX = 600;
const PANE_GAP = 16;

interface Pane {
  readonly title: string;
  readonly values: Float32Array;
  readonly scale: Scale;
}

/** The maps of the open head for the mode, or null while one of them is still being fetched. */
function panesFor(mode: ExploreMode, trained?: Float32Array, base?: Float32Array): Pane[] | null {
  if (mode === 'trained') return trained ? [{ title: 'Fine-tuned', values: trained, scale: PROBABILITY }] : null;
  if (mode === 'base') return base ? [{ title: 'Base (as loaded)', values: base, scale: PROBABILITY }] : null;
  if (!trained || !base) return null;
  if (mode === 'compare') return [{ title: 'Base (as loaded)', values: base, scale: PROBABILITY }, { title: 'Fine-tuned', values: trained, scale: PROBABILITY }];
  const delta = difference(trained, base);
  return [{ title: 'Fine-tuned − base', values: delta, scale: { kind: 'difference', scale: symmetricScale(delta) } }];
}

function lastRow(values: Float32Array, T: number): Float32Array {
  return values.subarray((T - 1) * T, T * T);
}

interface HeadViewProps {
  readonly head: OpenHead;
  readonly mode: ExploreMode;
  readonly marks: ReadonlyMap<number, LabelKind>;
  readonly theme: Theme;
  readonly onClose: () => void;
}

/** One head opened: its token × token map(s), the legend, and the last row as bars. */
export function HeadView({ head, mode, marks, theme, onClose }: HeadViewProps) {
  const box = useRef<HTMLDivElement>(null);
  const width = useWidth(box, 880);
  const { tokens } = head;
  const T = tokens.length;
  const panes = useMemo(() => panesFor(mode, head.maps.trained?.[0], head.maps.base?.[0]), [mode, head.maps]);
  const count = panes?.length ?? 1;
  const plot: Plot = useMemo(
    () => ({ tokens: T, size: Math.max(120, Math.min(MAX_PLOT_PX, Math.floor((width - PANE_GAP * (count - 1)) / count) - GUTTER.left - 8)) }),
    [T, width, count],
  );
  const [view, setView] = useState<View>(() => fitView(plot));
  const [hover, setHover] = useState<Cell | null>(null);
  const [paintMs, setPaintMs] = useState<number | null>(null);
  useEffect(() => setView(fitView(plot)), [plot]);

  const describe = useCallback(
    (cell: Cell) => (
      <>
        <div>
          <span className="muted">query</span> <span className="ex-token">{displayToken(tokens[cell.row])}</span> <span className="muted">#{cell.row}</span>
        </div>
        <div>
          <span className="muted">key</span> <span className="ex-token">{displayToken(tokens[cell.col])}</span> <span className="muted">#{cell.col}</span>
        </div>
        {weightsAt(head, cell, T).map(([name, value, signed]) => (
          <div key={name} className="ex-weight">
            <span className="muted">{name}</span> {formatWeight(value, signed)}
          </div>
        ))}
      </>
    ),
    [tokens, head, T],
  );

  const bars = panes && (mode === 'compare' ? { values: lastRow(panes[1].values, T), reference: lastRow(panes[0].values, T) } : { values: lastRow(panes[0].values, T), reference: null });
  const zoom = (factor: number) => setView(zoomAt(view, factor, plot.size / 2, plot.size / 2, plot));
  return (
    <section className="ex-head" aria-label={`Layer ${head.layer}, head ${head.head}`} data-testid="head-view" ref={box}>
      <header className="ex-head-bar">
        <h3>
          Layer {head.layer} · head {head.head}
        </h3>
        <span className="muted" data-testid="head-timing">
          {T > 0 && `${T.toLocaleString()} tokens`}
          {head.ms !== null && ` · fetched in ${Math.round(head.ms).toLocaleString()} ms`}
          {paintMs !== null && ` · painted in ${Math.round(paintMs)} ms`}
        </span>
        <span className="ex-zoom" role="group" aria-label="Zoom">
          <button type="button" className="secondary" onClick={() => zoom(1 / 2)} aria-label="Zoom out">
            −
          </button>
          <button type="button" className="secondary" onClick={() => zoom(2)} aria-label="Zoom in">
            +
          </button>
          <button type="button" className="secondary" onClick={() => setView(fitView(plot))}>
            Fit
          </button>
          <button type="button" className="secondary" onClick={onClose} aria-label="Close head">
            ✕
          </button>
        </span>
      </header>
      {head.error && (
        <div role="alert" className="alert">
          {head.error}
        </div>
      )}
      {!panes && !head.error && <p className="muted ex-loading">Computing the attention of every token…</p>}
      {panes && (
        <>
          <Legend scale={panes[0].scale} theme={theme} kinds={new Set(marks.values())} />
          <div className="ex-panes" style={{ gap: PANE_GAP }}>
            {panes.map((pane) => (
              <Heatmap
                key={pane.title}
                {...pane}
                theme={theme}
                tokens={tokens}
                marks={marks}
                plot={plot}
                view={view}
                onView={setView}
                hover={hover}
                onHover={setHover}
                describe={describe}
                onPainted={setPaintMs}
              />
            ))}
          </div>
          <p className="muted ex-hint">Hover a cell for its tokens and weight. Ctrl/⌘ + wheel or double-click zooms; drag or wheel scrolls when zoomed.</p>
          {bars && (
            <LastRowBars
              tokens={tokens}
              marks={marks}
              {...bars}
              signed={mode === 'difference'}
              highlight={hover && hover.row === T - 1 ? hover.col : null}
              onHover={(col) => setHover(col === null ? null : { row: T - 1, col })}
            />
          )}
        </>
      )}
    </section>
  );
}

/** Every weight known for a cell: fine-tuned, base and their difference where both are there. */
function weightsAt(head: OpenHead, { row, col }: Cell, T: number): [string, number, boolean][] {
  const i = row * T + col;
  const trained = head.maps.trained?.[0]?.[i];
  const base = head.maps.base?.[0]?.[i];
  const out: [string, number, boolean][] = [];
  if (trained !== undefined) out.push(['fine-tuned', trained, false]);
  if (base !== undefined) out.push(['base', base, false]);
  if (trained !== undefined && base !== undefined) out.push(['Δ', trained - base, true]);
  return out;
}
