import type { LabelKind } from './attention-data';
import { gradientCss, type Scale, type Theme } from './colors';
import { formatWeight } from './LastRowBars';
import { MARK_NAMES } from './marks';

/** The colour scale's range and the label marks that occur in this prompt. */
export function Legend({ scale, theme, kinds }: { readonly scale: Scale; readonly theme: Theme; readonly kinds: ReadonlySet<LabelKind> }) {
  const [from, to] = scale.kind === 'probability' ? ['0', '1'] : [formatWeight(-scale.scale, true), formatWeight(scale.scale, true)];
  return (
    <div className="ex-legend">
      <span className="ex-scale">
        <span className="muted">{from}</span>
        <span className="ex-gradient" style={{ background: gradientCss(scale, theme) }} />
        <span className="muted">{to}</span>
        <span className="muted">{scale.kind === 'probability' ? 'weight (√ scale)' : 'Δ weight (√ scale)'}</span>
      </span>
      {[...kinds].map((kind) => (
        <span key={kind} className="ex-mark-key">
          <span className={`ex-swatch ${kind}`} /> {MARK_NAMES[kind]}
        </span>
      ))}
    </div>
  );
}
