/**
 * The app's first open in a browser profile: the classroom model, its task and the Train settings
 * that show ABFT at work on it, so that a new user (offline too: all three come with the app) has
 * a model that really learns in context and a run that really changes it, one click away.
 * Once per profile, and only over what is still as the app made it: data the user changed or
 * imported, and settings they set, stay theirs.
 */
import { CLASSROOM_MODEL } from '../classroom-model';
import { useDataStore } from './data-store';
import { FIRST_OPEN_KEY } from './first-open-key';
import { useModelStore } from './model-store';
import { DEFAULT_SETTINGS, useTrainingStore, type TrainSettings } from './training-store';
import { whenHydrated } from './when-hydrated';

/** True the first time only; where localStorage cannot be used (a sandboxed frame), never, so nothing is replaced on every visit. */
function claimFirstOpen(): boolean {
  try {
    if (localStorage.getItem(FIRST_OPEN_KEY) !== null) return false;
    localStorage.setItem(FIRST_OPEN_KEY, new Date().toISOString());
    return true;
  } catch {
    return false;
  }
}

const hydrated = (store: Parameters<typeof whenHydrated>[0]) => new Promise<void>((resolve) => whenHydrated(store, resolve));

const untouched = (settings: TrainSettings) => JSON.stringify(settings) === JSON.stringify(DEFAULT_SETTINGS);

/** Call once the GPU is ready: it loads the classroom model, which needs it. */
export async function openClassroomOnFirstOpen(): Promise<void> {
  if (!claimFirstOpen()) return;
  await Promise.all([hydrated(useDataStore), hydrated(useTrainingStore)]);
  const data = useDataStore.getState();
  // version counts every change to the data since the built-in default.
  if (data.version === 0) data.loadClassroom(CLASSROOM_MODEL.dataset);
  const training = useTrainingStore.getState();
  if (untouched(training.settings)) {
    for (const [key, value] of Object.entries(CLASSROOM_MODEL.training)) training.setSetting(key as keyof TrainSettings, value as never);
  }
  const models = useModelStore.getState();
  if (!models.model && models.load.state === 'idle') await models.loadClassroomModel();
}
