/** What `abft train` says when a run blows up, and when a later run starts from the weights it left. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runAbft as cli } from './testing/run-abft';
import { tinyModelFolder } from './testing/tiny-model-folder';

const tmp = tinyModelFolder('abft-diverged-', 'llama');
const SHORT = ['--data', 'synthetic', '--ablation', 'no-filter', '--pseudo-batch', '4', '--micro-batch', '4', '--train-prompts', '8', '--queries', '0'];

describe('abft train after a run blew up', () => {
  it('blames the learning rate of the run that ruined the weights, and not that of a later run started from them', async () => {
    const blown = join(tmp.dir, 'blown');
    const first = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e6', '--steps', '4', '--out', blown);
    expect(first.code).toBe(3);
    const firstMessage = first.err.join('\n');
    expect(firstMessage).toMatch(/Training step 2: the loss is (Infinity|NaN), so the step was not applied\. The weights are now those after step 1, which this run's updates made unusable/);
    expect(firstMessage).toContain(`The outputs in ${blown} hold them: do not train on from them.`);
    expect(firstMessage).toContain('with a lower learning rate than 1000000');

    // The exported model: its first step already fails, before any update of the new run.
    const onExport = await cli('train', '--model', blown, ...SHORT, '--lr', '1e-2', '--steps', '2');
    expect(onExport.code).toBe(3);
    const exportMessage = onExport.err.join('\n');
    expect(exportMessage).toMatch(/Training step 1: the loss is (Infinity|NaN), so the step was not applied\. This run had not changed the weights yet, so its learning rate is not the cause/);
    expect(exportMessage).toContain(`already ruined by the ABFT run with lr 1000000 (1 step) that wrote --model ${blown} (from base LlamaForCausalLM `);
    expect(exportMessage).toContain('it was stopped by a non-finite loss');
    expect(exportMessage).toContain('Train from the base model (or an earlier checkpoint) instead.');
    expect(exportMessage).not.toMatch(/lower (the )?learning rate/i);

    // The checkpoint it saved, resumed: the same story.
    const checkpoint = join(blown, 'checkpoint.safetensors');
    const resumed = await cli('train', '--model', tmp.modelDir, ...SHORT, '--lr', '1e6', '--steps', '3', '--resume', checkpoint);
    expect(resumed.code).toBe(3);
    expect(resumed.err.join('\n')).toContain(`Training step 2: the loss is`);
    expect(resumed.err.join('\n')).toContain(`already ruined by the ABFT run with lr 1000000 (1 step) saved in --resume ${checkpoint}.`);
  });
});
