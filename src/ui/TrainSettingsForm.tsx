import type { AbftPresetName } from '../abft/objective';
import { useDataStore } from '../store/data-store';
import { SUITE_MEASURES } from '../abft/suite';
import { useTrainingStore, type TrainSettings } from '../store/training-store';
import { MEASURE_LABELS } from './evaluation-measures';

const PRESETS: Readonly<Record<AbftPresetName, string>> = {
  abft: 'ABFT as in the paper',
  noPid: 'no PID (fixed 𝒜)',
  noHeadFilter: 'no head filter (all heads)',
  noPunishment: '𝒜 = 0 (no punishment)',
  noReward: 'ℬ = 0 (no reward)',
};

type NumberSetting = 'lr' | 'steps' | 'pseudoBatch' | 'microBatch' | 'seed' | 'testQueries';

const NUMBER_FIELDS: readonly { key: NumberSetting; label: string; step: string; min?: number }[] = [
  { key: 'lr', label: 'Learning rate', step: 'any' },
  { key: 'steps', label: 'Training steps', step: '1', min: 1 },
  { key: 'pseudoBatch', label: 'Pseudo-batch (prompts per step)', step: '1', min: 1 },
  { key: 'microBatch', label: 'Micro-batch (prompts per GPU pass)', step: '1', min: 1 },
  { key: 'seed', label: 'Seed', step: '1' },
  { key: 'testQueries', label: 'Test queries (evaluation)', step: '1', min: 1 },
];

/**
 * The run's settings; the worker checks the values and names any that cannot be used. k is the
 * data's (the Data step's template shows and edits the same value), so the prompts trained on
 * are the ones previewed there.
 */
export function TrainSettingsForm({ disabled }: { disabled: boolean }) {
  const settings = useTrainingStore((s) => s.settings);
  const setSetting = useTrainingStore((s) => s.setSetting);
  const k = useDataStore((s) => s.k);
  const setK = useDataStore((s) => s.setK);

  return (
    <fieldset className="train-settings" disabled={disabled}>
      <legend className="visually-hidden">Training settings</legend>
      <div className="field">
        <label htmlFor="train-objective">Objective</label>
        <select id="train-objective" value={settings.objective} onChange={(e) => setSetting('objective', e.target.value as TrainSettings['objective'])}>
          <option value="abft">ABFT (attention loss on W_Q, W_K)</option>
          <option value="end-to-end">End-to-end (cross-entropy of the label token)</option>
        </select>
      </div>
      <div className="field">
        <label htmlFor="train-preset">Ablation</label>
        <select
          id="train-preset"
          value={settings.preset}
          disabled={settings.objective !== 'abft'}
          onChange={(e) => setSetting('preset', e.target.value as AbftPresetName)}
        >
          {Object.entries(PRESETS).map(([name, label]) => (
            <option key={name} value={name}>
              {label}
            </option>
          ))}
        </select>
      </div>
      {NUMBER_FIELDS.map(({ key, label, step, min }) => (
        <div className="field narrow" key={key}>
          <label htmlFor={`train-${key}`}>{label}</label>
          <input
            id={`train-${key}`}
            type="number"
            step={step}
            min={min}
            value={Number.isFinite(settings[key]) ? settings[key] : ''}
            onChange={(e) => setSetting(key, e.target.valueAsNumber)}
          />
        </div>
      ))}
      <div className="field narrow">
        <label htmlFor="train-k">Demonstrations per prompt (k)</label>
        <input
          id="train-k"
          type="number"
          step="1"
          min={1}
          max={32}
          value={Number.isFinite(k) ? k : ''}
          onChange={(e) => setK(e.target.valueAsNumber)}
          aria-describedby="train-k-note"
        />
      </div>
      <label className="field-check">
        <input type="checkbox" checked={settings.evaluateBeforeAfter} onChange={(e) => setSetting('evaluateBeforeAfter', e.target.checked)} />
        Evaluate before and after
      </label>
      <fieldset className="evaluation-measures" aria-describedby="evaluation-measures-note">
        <legend>Evaluation measures</legend>
        {SUITE_MEASURES.map((m) => (
          <label className="field-check" key={m}>
            <input type="checkbox" checked={settings.measures[m]} onChange={(e) => setSetting('measures', { ...settings.measures, [m]: e.target.checked })} />
            {MEASURE_LABELS[m]}
          </label>
        ))}
        <p id="evaluation-measures-note" className="muted small">
          Evaluate and the before/after evaluation run these. Per test query, accuracy scores 2 prompts, the consistencies 8 and 9, unseen-label accuracy 1.
        </p>
      </fieldset>
      <p id="train-k-note" className="muted small train-settings-note">
        k is one setting with the Data step’s prompt template: changing it here changes the prompts previewed there, and the other way round.
      </p>
    </fieldset>
  );
}
