import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { AutoModelForCausalLM, env, Tensor as HfTensor } from '@huggingface/transformers';
import { unzipSync } from 'fflate';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCheckpoint } from '../src/model/checkpoint';
import { nodeFolder } from '../src/model/files-node';
import { tinyModelFiles, writeTinyModel } from '../src/model/testing/tiny-models';
import { onnx } from '../src/onnx/schema';
import { openAppWithModel, type AppPage } from './support/model-panel';
import { openStep } from './support/shell';
import { useHarness } from './support/harness';

const harness = useHarness({ scratch: 'onnx' });
let app: AppPage;

beforeAll(async () => {
  await writeTinyModel(join(harness.folder, 'tiny-llama'), 'llama');
  app = await openAppWithModel(harness.browser, `${harness.server.url}?test`, join(harness.folder, 'tiny-llama'));
  await openStep(app.page, 'Train');
});

afterAll(async () => {
  await app?.context.close();
});

/** One ABFT step with a large learning rate, so the exported W_Q differ visibly from the base model's. */
async function trainOneStep(page: Page): Promise<void> {
  await page.getByLabel('Ablation').selectOption('noHeadFilter');
  await page.getByLabel('Training steps').fill('1');
  await page.getByLabel('Learning rate').fill('0.01');
  await page.getByLabel('Pseudo-batch (prompts per step)').fill('2');
  await page.getByLabel('Micro-batch (prompts per GPU pass)').fill('2');
  await page.getByLabel('Test queries (evaluation)').fill('2');
  await page.getByLabel('Evaluate before and after').setChecked(false);
  await page.getByRole('button', { name: 'Start training' }).click();
  await expect.poll(() => page.getByTestId('training-progress').getAttribute('data-state'), { timeout: 60_000 }).toBe('done');
}

/** The float32 values of one initializer of a model.onnx. */
function initializer(model: Uint8Array, name: string): Float32Array {
  const decoded = onnx.ModelProto.toObject(onnx.ModelProto.decode(model)) as { graph: { initializer: { name: string; rawData: Uint8Array }[] } };
  return new Float32Array(Uint8Array.from(decoded.graph.initializer.find((t) => t.name === name)!.rawData).buffer);
}

describe('ONNX export in the app (tiny Llama, SwiftShader)', () => {
  it('downloads a zip of a Hub-style ONNX folder with the fine-tuned weights, which transformers.js loads', async () => {
    const { page } = app;
    await trainOneStep(page);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export for transformers.js' }).click()]);
    const root = 'tiny-llama-onnx';
    expect(download.suggestedFilename()).toBe(`${root}.zip`);
    const files = unzipSync(new Uint8Array(await readFile((await download.path())!)));
    expect(Object.keys(files).sort()).toEqual(['config.json', 'generation_config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json'].map((f) => `${root}/${f}`));
    const base = tinyModelFiles('llama');
    const text = (name: string) => new TextDecoder().decode(files[`${root}/${name}`]);
    expect(text('tokenizer.json')).toBe(base['tokenizer.json']);
    const config = JSON.parse(text('config.json'));
    expect(config).toMatchObject({ architectures: ['LlamaForCausalLM'], 'transformers.js_config': { dtype: 'fp32' } });

    // W_Q was trained in the browser; the frozen v_proj is the base model's, bit for bit.
    const model = files[`${root}/onnx/model.onnx`];
    const baseCheckpoint = await openCheckpoint(await nodeFolder(join(harness.folder, 'tiny-llama')));
    const q = 'model.layers.0.self_attn.q_proj.weight';
    const v = 'model.layers.0.self_attn.v_proj.weight';
    expect(initializer(model, q)).not.toEqual(await baseCheckpoint.read(q));
    expect(initializer(model, v)).toEqual(await baseCheckpoint.read(v));

    // The unzipped folder loads in transformers.js (Node) with remote models disabled.
    const unzipped = join(harness.folder, 'unzipped');
    for (const [name, bytes] of Object.entries(files)) {
      await mkdir(dirname(join(unzipped, name)), { recursive: true });
      await writeFile(join(unzipped, name), bytes);
    }
    env.allowRemoteModels = false;
    env.localModelPath = unzipped;
    const hf = await AutoModelForCausalLM.from_pretrained(root, { local_files_only: true });
    const ids = [5, 17, 42, 99];
    const { logits } = (await hf({
      input_ids: new HfTensor('int64', BigInt64Array.from(ids, (i) => BigInt(i)), [1, ids.length]),
      attention_mask: new HfTensor('int64', new BigInt64Array(ids.length).fill(1n), [1, ids.length]),
    })) as { logits: HfTensor };
    expect(logits.dims).toEqual([1, ids.length, config.vocab_size]);
    expect((logits.data as Float32Array).every(Number.isFinite)).toBe(true);
    await hf.dispose();
  });

  it('verifies the export in onnxruntime-web against the engine on the test prompts', async () => {
    const { page } = app;
    await page.getByRole('button', { name: 'Verify in onnxruntime-web' }).click();
    const result = page.getByTestId('onnx-verification');
    const failure = page.getByRole('alert').filter({ hasText: 'The verification failed' });
    await result.or(failure).first().waitFor({ timeout: 120_000 });
    if (await failure.isVisible()) throw new Error(await failure.innerText());
    const provider = await result.getAttribute('data-provider');
    console.log(
      `verify in headless Chromium: ${await page.getByTestId('onnx-provider').innerText()}; agreement ${await page.getByTestId('onnx-agreement').innerText()}; ` +
        `max |diff| ${await page.getByTestId('onnx-max-abs').innerText()}; relative ${await page.getByTestId('onnx-max-rel').innerText()}`,
    );
    // Chromium has WebGPU here (SwiftShader), so onnxruntime-web's WebGPU backend is the one used.
    expect(provider).toBe('webgpu');
    expect(await result.getAttribute('data-passed')).toBe('true');
    // 2 test queries, each with 2 demonstration sets.
    expect(await page.getByTestId('onnx-agreement').innerText()).toBe('4/4');
    expect(Number((await page.getByTestId('onnx-max-rel').innerText()).split(' ')[0])).toBeLessThanOrEqual(1e-4);
    await page.getByTestId('onnx-export').screenshot({ path: 'test-results/onnx-export.png' });
    expect(app.errors).toEqual([]);
  });
});
