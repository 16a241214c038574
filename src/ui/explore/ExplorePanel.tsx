import { useEffect, useMemo } from 'react';
import { useExploreStore, type ExploreMode, type Fetched } from '../../store/explore-store';
import { useModelStore } from '../../store/model-store';
import { useNavStore } from '../../store/nav-store';
import { difference, headSlice, labelMarks, parseLabelWords } from './attention-data';
import './explore.css';
import { useTheme } from '../shell/use-theme';
import { HeadView } from './HeadView';
import { ModeSwitch } from './ModeSwitch';
import { PromptPicker } from './PromptPicker';
import { Thumbnails, type HeadRow } from './Thumbnails';

/** Step 4: attention heatmaps of any prompt, before and after fine-tuning. */
export function ExplorePanel() {
  const model = useModelStore((s) => s.model);
  const focus = useNavStore((s) => s.focus);
  // The panel stays mounted on other steps; fetching there would only slow training down.
  const visible = useNavStore((s) => s.step === 'explore');
  const theme = useTheme();
  const { shown, weightsVersion, mode, overview, head, labelWords, sync } = useExploreStore();
  const usable = model !== null && model.tokenizer;

  useEffect(() => {
    if (visible) sync(focus);
  }, [visible, shown, weightsVersion, mode, focus, sync]);

  const tokens = overview?.tokens ?? [];
  const marks = useMemo(() => labelMarks(tokens, overview?.labels ?? null, parseLabelWords(labelWords)), [tokens, overview?.labels, labelWords]);
  const rows = useMemo(() => overview && thumbnailRows(overview, mode), [overview, mode]);

  return (
    <section className="panel explore" data-testid="explore-panel" aria-labelledby="explore-panel-title">
      <h2 id="explore-panel-title">Explore attention</h2>
      <p className="muted ex-intro">
        Where each token looks, per layer and head. The thumbnails show the last token’s attention, the one that names the label; open a head for its full token × token map.
      </p>
      {!usable && <p className="muted">{model ? 'The loaded model has no tokenizer.json, so text cannot be turned into tokens.' : 'Load a model first.'}</p>}
      <PromptPicker disabled={!usable} />
      {shown && (
        // Remounted on a theme change, so every canvas repaints in the new colours.
        <div key={theme}>
          <div className="ex-toolbar">
            <ModeSwitch />
            <span className="muted" data-testid="overview-status">
              {overview?.loading ? 'Computing…' : tokens.length > 0 ? `${tokens.length.toLocaleString()} tokens · ${marks.size} label token${marks.size === 1 ? '' : 's'}` : ''}
            </span>
          </div>
          {overview?.error && (
            <div role="alert" className="alert" data-testid="explore-error">
              {overview.error}
            </div>
          )}
          {rows && <Thumbnails rows={rows} marks={marks} selected={focus} onOpen={(f) => useNavStore.getState().openHead(f)} />}
          {focus && head && <HeadView head={head} mode={mode} marks={marks} theme={theme} onClose={() => useNavStore.setState({ focus: null })} />}
        </div>
      )}
    </section>
  );
}

/** Each head's last row for the mode (fine-tuned in side-by-side), or null until its maps are there. */
function thumbnailRows(overview: Fetched, mode: ExploreMode): HeadRow[][] | null {
  const { trained, base } = overview.maps;
  const T = overview.tokens.length;
  const shown = mode === 'base' ? base : trained;
  if (!shown || (mode === 'difference' && !base)) return null;
  return shown.map((layer, l) => {
    const heads = layer.length / T;
    return Array.from({ length: heads }, (_, h) => {
      const row = headSlice(layer, h, 1, T);
      return mode === 'difference' ? { values: difference(row, headSlice(base![l], h, 1, T)), signed: true } : { values: row, signed: false };
    });
  });
}
