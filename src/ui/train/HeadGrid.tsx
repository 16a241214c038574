import { memo, useMemo, useState } from 'react';
import type { HeadSummary } from '../../abft/loss';
import { useNavStore } from '../../store/nav-store';
import { headCells, type HeadCell } from './series';

interface Props {
  readonly grid: readonly (readonly HeadSummary[])[] | null;
  readonly testId: string;
  readonly caption: string;
}

/**
 * Diverging: blue the more of a head's label attention is on correct labels, orange the more on
 * wrong ones, grey when even; the amount of label attention sets the depth, so a pale cell barely
 * looks at labels at all.
 */
function cellColor(c: HeadCell): string {
  const side = c.share >= 0.5 ? 'var(--hg-plus)' : 'var(--hg-minus)';
  const hue = `color-mix(in oklab, ${side} ${(Math.abs(c.share - 0.5) * 200).toFixed(1)}%, var(--hg-neutral))`;
  return `color-mix(in oklab, ${hue} ${(12 + 83 * Math.sqrt(c.strength)).toFixed(1)}%, var(--panel))`;
}

const HINT = 'Hover a head for its numbers; click it to open that head in the explorer.';

/** Layer × head: where each head's last-token attention goes, from the latest step. */
export const HeadGrid = memo(function HeadGrid({ grid, testId, caption }: Props) {
  const cells = useMemo(() => (grid ? headCells(grid) : null), [grid]);
  const [hovered, setHovered] = useState<HeadCell | null>(null);
  const openHead = useNavStore((s) => s.openHead);
  if (!cells) {
    return (
      <figure className="head-grid" data-testid={testId}>
        <figcaption>{caption}</figcaption>
        <p className="train-chart-empty muted">End-to-end steps have no per-head attention statistics.</p>
      </figure>
    );
  }
  // A hovered cell from an earlier step is shown with this step's numbers.
  const shown = hovered && cells[hovered.layer]?.[hovered.head];
  const heads = cells[0]?.length ?? 0;
  return (
    <figure className="head-grid" data-testid={testId}>
      <figcaption>{caption}</figcaption>
      <div className="head-grid-cells" style={{ gridTemplateColumns: `auto repeat(${heads}, minmax(14px, 28px))` }} onMouseLeave={() => setHovered(null)}>
        <span />
        {cells[0]?.map((c) => (
          <span key={c.head} className="head-grid-axis">
            {c.head}
          </span>
        ))}
        {cells.map((row, layer) => [
          <span key={`l${layer}`} className="head-grid-axis">
            L{layer}
          </span>,
          ...row.map((c) => (
            <button
              key={c.head}
              type="button"
              className={c.passes ? 'head-cell' : 'head-cell filtered'}
              style={{ background: cellColor(c) }}
              title={c.label}
              aria-label={c.label}
              onMouseEnter={() => setHovered(c)}
              onFocus={() => setHovered(c)}
              onClick={() => openHead({ layer: c.layer, head: c.head })}
            />
          )),
        ])}
      </div>
      <p className="head-detail" data-testid={`${testId}-detail`} aria-live="polite">
        {shown ? shown.label : HINT}
      </p>
      <div className="head-legend" aria-hidden="true">
        <span>wrong labels</span>
        <span className="head-legend-ramp" />
        <span>correct labels</span>
        <span className="muted">· paler: less attention on labels · dashed: fails the head filter</span>
      </div>
    </figure>
  );
});
