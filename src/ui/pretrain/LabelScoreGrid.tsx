import { memo, useState } from 'react';
import type { HeadScores } from '../../store/pretrain-store';
import { strongestHead } from './series';

const percent = (score: number) => `${Math.round(score * 100)}%`;

function describe(layer: number, head: number, score: number): string {
  return `layer ${layer}, head ${head}: ${percent(score)} of its attention at each label-predicting token is on earlier copies of the label that follows`;
}

/** Deeper the higher the score: an induction head stands out as the one dark cell. */
function cellColor(score: number): string {
  return `color-mix(in oklab, var(--accent) ${(Math.min(1, Math.max(0, score)) * 100).toFixed(1)}%, var(--panel))`;
}

/** Layer × head: each head's label-attention score at the latest measurement. */
export const LabelScoreGrid = memo(function LabelScoreGrid({ latest }: { latest: HeadScores | undefined }) {
  const [hovered, setHovered] = useState<{ layer: number; head: number } | null>(null);
  if (!latest) {
    return (
      <figure className="head-grid score-grid" data-testid="pretrain-head-grid">
        <figcaption>Label-attention score per head</figcaption>
        <p className="muted small">Measured before the first step and every few steps after it.</p>
      </figure>
    );
  }
  const { scores, step } = latest;
  const best = strongestHead(scores);
  const shown = hovered && scores[hovered.layer]?.[hovered.head] !== undefined ? { ...hovered, score: scores[hovered.layer][hovered.head] } : best;
  return (
    <figure className="head-grid score-grid" data-testid="pretrain-head-grid" data-step={step}>
      <figcaption>Label-attention score per head, % (step {step})</figcaption>
      <div className="head-grid-cells" style={{ gridTemplateColumns: `auto repeat(${scores[0]?.length ?? 0}, 40px)` }} onMouseLeave={() => setHovered(null)}>
        <span />
        {scores[0]?.map((_, head) => (
          <span key={head} className="head-grid-axis">
            H{head}
          </span>
        ))}
        {scores.map((row, layer) => [
          <span key={`l${layer}`} className="head-grid-axis">
            L{layer}
          </span>,
          ...row.map((score, head) => (
            <span
              key={head}
              className={`score-cell${score > 0.55 ? ' dark' : ''}`}
              style={{ background: cellColor(score) }}
              role="img"
              tabIndex={0}
              aria-label={describe(layer, head, score)}
              title={describe(layer, head, score)}
              onMouseEnter={() => setHovered({ layer, head })}
              onFocus={() => setHovered({ layer, head })}
            >
              {Math.round(score * 100)}
            </span>
          )),
        ])}
      </div>
      <p className="head-detail" data-testid="pretrain-head-detail" aria-live="polite">
        {hovered ? describe(shown.layer, shown.head, shown.score) : `Highest: ${describe(best.layer, best.head, best.score)}.`}
      </p>
    </figure>
  );
});
