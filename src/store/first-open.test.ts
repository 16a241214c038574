import { afterEach, beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { CLASSROOM_MODEL } from '../classroom-model';
import { useDataStore } from './data-store';
import { openClassroomOnFirstOpen } from './first-open';
import { FIRST_OPEN_KEY } from './first-open-key';
import { useModelStore } from './model-store';
import { DEFAULT_SETTINGS, useTrainingStore } from './training-store';

/** A profile's localStorage, in memory: Node has none. */
function memoryStorage(): Storage {
  const items = new Map<string, string>();
  return {
    get length() {
      return items.size;
    },
    clear: () => items.clear(),
    getItem: (key) => items.get(key) ?? null,
    key: (i) => [...items.keys()][i] ?? null,
    removeItem: (key) => void items.delete(key),
    setItem: (key, value) => void items.set(key, String(value)),
  };
}

let loadClassroomModel: Mock<() => Promise<void>>;

beforeEach(async () => {
  vi.stubGlobal('localStorage', memoryStorage());
  await useDataStore.persist.rehydrate();
  useDataStore.setState(useDataStore.getInitialState());
  useTrainingStore.setState({ settings: DEFAULT_SETTINGS });
  // The model's files are fetched from the page's server, which a unit test has not.
  loadClassroomModel = vi.fn(async () => {});
  useModelStore.setState({ model: null, load: { state: 'idle' }, loadClassroomModel });
});

afterEach(() => vi.unstubAllGlobals());

describe('the first open', () => {
  it('brings the classroom model, its task and its Train settings, once', async () => {
    await openClassroomOnFirstOpen();
    expect(useDataStore.getState().info.source).toEqual({ kind: 'classroom', id: CLASSROOM_MODEL.dataset });
    expect(useTrainingStore.getState().settings).toEqual({ ...DEFAULT_SETTINGS, ...CLASSROOM_MODEL.training });
    expect(loadClassroomModel).toHaveBeenCalledTimes(1);
    expect(localStorage.getItem(FIRST_OPEN_KEY)).not.toBeNull();

    // The next open is a returning user's: what they changed stays, and no model is loaded for them.
    useTrainingStore.getState().setSetting('steps', 3);
    useDataStore.getState().loadClassroom('classroom/word-last');
    await openClassroomOnFirstOpen();
    expect(useTrainingStore.getState().settings.steps).toBe(3);
    expect(useDataStore.getState().info.source).toEqual({ kind: 'classroom', id: 'classroom/word-last' });
    expect(loadClassroomModel).toHaveBeenCalledTimes(1);
  });

  it('keeps data and settings the user changed before it (an older version of the app), and still loads the model', async () => {
    useDataStore.getState().setK(6);
    useTrainingStore.getState().setSetting('lr', 5e-4);
    const rows = useDataStore.getState().rows;
    await openClassroomOnFirstOpen();
    expect(useDataStore.getState().info.source).toEqual({ kind: 'synthetic' });
    expect(useDataStore.getState().rows).toBe(rows);
    expect(useTrainingStore.getState().settings).toEqual({ ...DEFAULT_SETTINGS, lr: 5e-4 });
    expect(loadClassroomModel).toHaveBeenCalledTimes(1);
  });

  it('does not load over a model that is loaded or loading', async () => {
    useModelStore.setState({ load: { state: 'loading', what: 'a Hub model', progress: null } });
    await openClassroomOnFirstOpen();
    expect(loadClassroomModel).not.toHaveBeenCalled();
  });

  it('does nothing where localStorage cannot be used, so nothing is replaced at every visit', async () => {
    vi.stubGlobal('localStorage', undefined);
    await openClassroomOnFirstOpen();
    expect(useDataStore.getState().info.source).toEqual({ kind: 'synthetic' });
    expect(loadClassroomModel).not.toHaveBeenCalled();
  });
});
