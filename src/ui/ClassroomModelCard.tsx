import { CLASSROOM_MODEL } from '../classroom-model';
import { useDataStore } from '../store/data-store';
import { useModelStore } from '../store/model-store';
import { useNavStore } from '../store/nav-store';

/** The offline start that shows real behaviour: the shipped classroom model, which learned ICL in pretraining. */
export function ClassroomModelCard({ disabled }: { disabled: boolean }) {
  const loadClassroomModel = useModelStore((s) => s.loadClassroomModel);
  const loaded = useModelStore((s) => s.model?.label === CLASSROOM_MODEL.label);
  const loadClassroom = useDataStore((s) => s.loadClassroom);
  const source = useDataStore((s) => s.info.source);
  const taskInUse = source.kind === 'classroom' && source.id === CLASSROOM_MODEL.dataset;
  return (
    <div className="demo-model" data-testid="classroom-model">
      <div>
        <h3>Classroom model</h3>
        <p className="muted">
          A tiny Llama ({CLASSROOM_MODEL.layers} layers × {CLASSROOM_MODEL.heads} heads) pretrained on the classroom language until it learned in-context
          learning: given a few demonstrations of a task whose labels change every prompt, it answers the query by reading them. It comes with a task it
          never saw in pretraining, category-in-filler, which it answers from the demonstrations only part of the time; ABFT raises its accuracy there in a
          short run (Train, with the settings it brings). Its other tasks are under Data → Classroom tasks. Its recipe can run here too, under Pretrain from scratch.
        </p>
        {loaded && taskInUse && (
          // The first open loads it by itself; this says where to go from here.
          <p role="status" data-testid="classroom-model-next">
            Loaded, with its task in Data. Next:{' '}
            <button type="button" className="link" onClick={() => useNavStore.getState().go('train')}>
              Train
            </button>
            , then Start training.
          </p>
        )}
      </div>
      <button type="button" onClick={() => void loadClassroomModel()} disabled={disabled}>
        Load the classroom model
      </button>
      <button type="button" onClick={() => loadClassroom(CLASSROOM_MODEL.dataset)} disabled={taskInUse}>
        {taskInUse ? 'Its task is in use' : 'Use its task (replaces the data)'}
      </button>
    </div>
  );
}
