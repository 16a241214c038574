import { CLASSROOM_MODEL } from '../classroom-model';
import { useDataStore } from '../store/data-store';
import { useModelStore } from '../store/model-store';

/** The offline start that shows real behaviour: the shipped classroom model, which learned ICL in pretraining. */
export function ClassroomModelCard({ disabled }: { disabled: boolean }) {
  const loadClassroomModel = useModelStore((s) => s.loadClassroomModel);
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
          has not learned well, word-first, on which ABFT raises its accuracy in a run of a few minutes (Train, with the settings it brings). Its other tasks
          are under Data → Classroom tasks; those held out of pretraining are new to it. Its recipe can run here too, under Pretrain from scratch.
        </p>
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
