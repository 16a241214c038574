import { isPretraining, usePretrainStore } from '../../store/pretrain-store';
import '../train/train.css';
import './pretrain.css';
import { PretrainCharts } from './PretrainCharts';
import { PretrainControls } from './PretrainControls';
import { RecipeForm } from './RecipeForm';
import { SpeedNote } from './SpeedNote';

/**
 * The Model step's other way to a model: the classroom model's recipe run here from random
 * weights, to watch in-context learning appear as induction heads form.
 */
export function PretrainPanel() {
  const active = usePretrainStore((s) => isPretraining(s.run));
  const started = usePretrainStore((s) => s.run.state !== 'idle');
  return (
    <section className="panel pretrain-panel" data-testid="pretrain" aria-labelledby="pretrain-title">
      <h2 id="pretrain-title">Pretrain from scratch</h2>
      <p>
        Run the shipped classroom model's recipe from random weights on this GPU and watch it learn in-context learning. Beside the next-token loss, the
        recipe tells two kinds of head where to look: layer 0's head 0 at the words of a line from its label, layer 1's heads from the token before a label
        at the earlier labels of lines with the same key. Still the model sits on a plateau for some 800 steps, copying any earlier label; then induction
        heads form: they match the key and copy its label. The label-attention score below is how much of a head's attention goes there; it jumps at that
        phase change.
      </p>
      <RecipeForm disabled={active} />
      <PretrainControls />
      <SpeedNote />
      {started && <PretrainCharts />}
    </section>
  );
}
