import { useState } from 'react';
import { CLASSROOM_NOTE, CLASSROOM_POOL_ROWS, CLASSROOM_PRESETS, CLASSROOM_TEST_ROWS, type ClassroomPreset, type ClassroomPresetId } from '../../data/classroom-presets';
import { PRESETS, type PresetId } from '../../data/presets';
import { useDataStore, type DataSource } from '../../store/data-store';
import { PresetProgress } from './PresetProgress';
import { PRESET_ROWS } from './preset-sizes';

type Choice = PresetId | ClassroomPresetId | 'synthetic';

const DEFAULT_MAX_ROWS = 2000;

function choiceOf(source: DataSource): Choice {
  return source.kind === 'preset' || source.kind === 'classroom' ? source.id : 'synthetic';
}

/** A classroom dataset's family rule, and a button to use it: it is built in, so it loads at once. */
function ClassroomAbout({ preset, inUse, loading }: { readonly preset: ClassroomPreset; readonly inUse: boolean; readonly loading: boolean }) {
  return (
    <>
      <p className="preset-about">
        {preset.description}{' '}
        <span className="muted">
          {CLASSROOM_POOL_ROWS} training rows · {CLASSROOM_TEST_ROWS} test queries{preset.queriesRepeatPool ? ' (its texts are its keys, so the queries repeat them)' : ' not in the pool'} · built in. {CLASSROOM_NOTE}
        </span>
      </p>
      <div className="inline-form">
        <button type="button" disabled={inUse || loading} onClick={() => useDataStore.getState().loadClassroom(preset.id)}>
          {inUse ? 'In use' : 'Use this task'}
        </button>
      </div>
    </>
  );
}

/** The paper's eight datasets, loaded from the Hub's dataset viewer, the built-in synthetic data and the classroom tasks. */
export function PresetPicker() {
  const source = useDataStore((s) => s.info.source);
  const load = useDataStore((s) => s.presetLoad);
  const { loadPreset, loadSynthetic } = useDataStore.getState();
  const [choice, setChoice] = useState<Choice>(choiceOf(source));
  const [maxRows, setMaxRows] = useState(DEFAULT_MAX_ROWS);
  const preset = PRESETS.find((p) => p.id === choice);
  const classroom = CLASSROOM_PRESETS.find((p) => p.id === choice);
  const loading = load.state === 'loading';

  return (
    <div className="data-card preset-picker">
      <h3>Paper datasets</h3>
      <div className="preset-grid" role="group" aria-label="Datasets">
        <button type="button" className="preset" aria-pressed={choice === 'synthetic'} onClick={() => setChoice('synthetic')}>
          <span className="preset-name">Synthetic</span>
          <span className="preset-rows">offline</span>
        </button>
        {PRESETS.map((p) => (
          <button type="button" key={p.id} className="preset" aria-pressed={choice === p.id} onClick={() => setChoice(p.id)}>
            <span className="preset-name">{p.name}</span>
            <span className="preset-rows">{(PRESET_ROWS[p.id] / 1000).toFixed(PRESET_ROWS[p.id] < 10_000 ? 1 : 0)}k rows</span>
          </button>
        ))}
      </div>
      <h4 className="preset-group">Classroom tasks <span className="muted">for the classroom model, built in</span></h4>
      <div className="preset-grid classroom-grid" role="group" aria-label="Classroom tasks">
        {CLASSROOM_PRESETS.map((p) => (
          <button type="button" key={p.id} className="preset" aria-pressed={choice === p.id} onClick={() => setChoice(p.id)}>
            <span className="preset-name">{p.name}</span>
            <span className="preset-rows">{p.split === 'held-out' ? 'held out' : 'pretraining'}</span>
          </button>
        ))}
      </div>
      {classroom ? (
        <ClassroomAbout preset={classroom} inUse={source.kind === 'classroom' && source.id === classroom.id} loading={loading} />
      ) : preset ? (
        <>
          <p className="preset-about">
            {preset.description} <span className="muted">{preset.hub.dataset} · {PRESET_ROWS[preset.id].toLocaleString()} rows · labels {preset.labelWords.join(', ')}</span>
          </p>
          <div className="inline-form">
            <label>
              Rows to load
              <input type="number" min={10} step={100} value={maxRows} onChange={(e) => setMaxRows(e.target.valueAsNumber)} className="rows-input" />
            </label>
            <button type="button" disabled={loading || !(maxRows > 0)} onClick={() => void loadPreset(preset.id, maxRows)}>
              Load from the Hub
            </button>
          </div>
        </>
      ) : (
        <>
          <p className="preset-about">
            Movie-review-like sentences made from word lists, built in. <span className="muted">Not real data: for trying the pipeline offline, not for measuring accuracy.</span>
          </p>
          <div className="inline-form">
            <button type="button" disabled={loading || source.kind === 'synthetic'} onClick={loadSynthetic}>
              {source.kind === 'synthetic' ? 'In use' : 'Use synthetic data'}
            </button>
          </div>
        </>
      )}
      <PresetProgress />
    </div>
  );
}
