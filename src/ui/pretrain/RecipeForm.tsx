import type { GuidanceTarget } from '../../pretrain/attention-targets';
import type { ConfigGuide } from '../../pretrain/config';
import { classroomRecipe, DEFAULT_RECIPE_EDITS, RECIPE_BOUNDS, type RecipeField } from '../../pretrain/recipe';
import { usePretrainStore } from '../../store/pretrain-store';

const FIELDS: readonly RecipeField[] = ['steps', 'batch'];

/** The committed recipe's shape never changes here; only the steps and sequences per step are the user's. */
const BASE = (() => {
  const recipe = classroomRecipe(DEFAULT_RECIPE_EDITS);
  if (!recipe.ok) throw new Error(`the committed classroom recipe does not parse: ${JSON.stringify(recipe.problems)}`);
  return recipe.config;
})();

const percent = (share: number) => `${Math.round(share * 100)}%`;

const TOWARD: Readonly<Record<GuidanceTarget, string>> = {
  'own-line-text': 'at each label, toward the words of its own line',
  'matching-labels': 'before a label an earlier line gives away, toward the earlier copies of it',
};

function steps(n: number): string {
  return `${n.toLocaleString('en-US')} step${n === 1 ? '' : 's'}`;
}

function guideText(g: ConfigGuide): string {
  return `layer ${g.layer} head${g.heads.length === 1 ? '' : 's'} ${g.heads.join(', ')} ${TOWARD[g.toward]}`;
}

/** The recipe the run will use: the classroom model's, with the two values a user may change and their problems. */
export function RecipeForm({ disabled }: { disabled: boolean }) {
  const edits = usePretrainStore((s) => s.edits);
  const setEdit = usePretrainStore((s) => s.setEdit);
  const recipe = classroomRecipe(edits);
  const config = recipe.ok ? recipe.config : BASE;
  const { model, corpus, optimizer: o, loss } = config;
  return (
    <div className="pretrain-recipe" data-testid="pretrain-recipe">
      <dl className="facts">
        <dt>model</dt>
        <dd>
          {config.architecture === 'llama' ? 'Llama' : config.architecture}, {model.layers} layers × {model.heads} heads, hidden {model.hidden}, MLP {model.intermediate}
        </dd>
        <dt>data</dt>
        <dd>classroom sequences of {corpus.length} tokens, a new batch every step; loss on the label words and {percent(loss.otherTokens)} of the other tokens</dd>
        {loss.attention.length > 0 && (
          <>
            <dt>attention guides</dt>
            <dd>{loss.attention.map(guideText).join('; ')}</dd>
          </>
        )}
        <dt>learning rate</dt>
        <dd>
          {o.lr}, warm-up {recipe.ok ? steps(o.warmupSteps) : 'scaled with the steps'}, cosine over {recipe.ok ? steps(o.decaySteps) : 'a span scaled with the steps'} down to {o.minLr}
        </dd>
        <dt>ICL accuracy</dt>
        <dd>
          every {config.eval.every} steps and at the last, on {config.eval.sequences} sequences of held-out and of train task families
        </dd>
      </dl>
      <fieldset className="pretrain-edits" disabled={disabled}>
        <legend className="visually-hidden">Pretraining settings</legend>
        {FIELDS.map((field) => (
          <div className="field narrow" key={field}>
            <label htmlFor={`pretrain-${field}`}>{RECIPE_BOUNDS[field].name}</label>
            <input
              id={`pretrain-${field}`}
              type="text"
              inputMode="numeric"
              value={edits[field]}
              aria-invalid={!recipe.ok && field in recipe.problems}
              aria-describedby={!recipe.ok && field in recipe.problems ? `pretrain-${field}-problem` : undefined}
              onChange={(e) => setEdit(field, e.target.value)}
            />
          </div>
        ))}
      </fieldset>
      {!recipe.ok &&
        FIELDS.map(
          (field) =>
            recipe.problems[field] && (
              <p key={field} id={`pretrain-${field}-problem`} className="error-text small" role="alert">
                {recipe.problems[field]}
              </p>
            ),
        )}
    </div>
  );
}
