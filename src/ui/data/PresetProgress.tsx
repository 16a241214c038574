import { presetById } from '../../data/presets';
import { useDataStore } from '../../store/data-store';

/** A preset load under way (with Cancel), or how the last one ended (dismissable). */
export function PresetProgress() {
  const load = useDataStore((s) => s.presetLoad);
  const { cancelPresetLoad, clearPresetLoad } = useDataStore.getState();
  if (load.state === 'idle') return null;
  const name = presetById(load.id).name;
  if (load.state === 'ended') {
    return (
      <div role={load.cancelled ? undefined : 'alert'} className={load.cancelled ? 'note dismissable' : 'alert dismissable'} data-testid="preset-error">
        <span>
          {load.cancelled ? '' : <strong>{name} could not be loaded: </strong>}
          {load.message}
        </span>
        <button type="button" className="link" onClick={clearPresetLoad} aria-label="Dismiss">
          ✕
        </button>
      </div>
    );
  }
  const { progress } = load;
  return (
    <div className="load-progress" data-testid="preset-progress">
      <p aria-live="polite">{progress ? `Loading ${name}: ${progress.split} split` : `Asking the dataset viewer for ${name}…`}</p>
      <div className="progress-row">
        {progress && progress.total > 0 ? (
          <progress aria-label="Dataset loading" max={progress.total} value={progress.loaded} />
        ) : (
          <progress aria-label="Dataset loading" />
        )}
        <span className="muted">{progress ? `${progress.loaded.toLocaleString()} of ${progress.total.toLocaleString()} rows` : ''}</span>
        <button type="button" className="secondary" onClick={cancelPresetLoad}>
          Cancel
        </button>
      </div>
    </div>
  );
}
