import { describe, expect, it } from 'vitest';
import { openCheckpoint } from '../model/checkpoint';
import { parseModelConfig } from '../model/config';
import { memoryFolder } from '../model/files';
import { GPT2_LARGE, QWEN25_05B } from '../model/known-configs';
import type { ModelSpec, TensorSource } from '../model/spec';
import { tinyModelFiles } from '../model/testing/tiny-models';
import { exportOnnx } from './export';
import { DEFAULT_BROWSER_LIMIT, planExportSize } from './limits';
import { causalLmGraph } from './causal-lm';
import { weightBytes } from './serialize';

/** A checkpoint with no tensors that fails any read: proves a refusal comes before any weight is read. */
const UNREADABLE: TensorSource = {
  label: 'unreadable',
  names: () => [],
  info: () => undefined,
  read: () => Promise.reject(new Error('a weight was read')),
};

const QWEN25_7B = { ...QWEN25_05B, hidden_size: 3584, intermediate_size: 18944, num_hidden_layers: 28, num_attention_heads: 28, num_key_value_heads: 4, vocab_size: 152064, tie_word_embeddings: false };

function tiny(arch: 'gpt2' | 'llama' | 'gemma3') {
  const files = tinyModelFiles(arch);
  return { files, folder: memoryFolder(`tiny ${arch}`, files), spec: parseModelConfig(JSON.parse(files['config.json'] as string)) };
}

describe('ONNX export refuses what cannot work, with a message that says why', () => {
  it('a model too large for the browser names its size and the limit, before reading any weight', async () => {
    const spec = parseModelConfig(QWEN25_7B);
    const { folder } = tiny('llama');
    await expect(exportOnnx(spec, UNREADABLE, folder)).rejects.toThrow(
      /Qwen2ForCausalLM with 28 layers and hidden size 3584 has 28\.\d+ GiB of float32 weights, more than the 3\.00 GiB a browser can hold for onnxruntime-web .*Pick a smaller model/,
    );
  });

  it('the limit can be lowered, and a model under it but over 2 GiB goes to external data', () => {
    const { spec } = tiny('gpt2');
    expect(() => planExportSize(spec, 600_000, { maxWeightBytes: 500_000 })).toThrow(/has 585\.9 KiB of float32 weights, more than the 488\.3 KiB/);
    const large = parseModelConfig(GPT2_LARGE);
    const bytes = weightBytes(causalLmGraph(large, new Set()));
    // 774M parameters: 2.9 GiB, past protobuf's 2 GiB but under the browser limit.
    expect(bytes).toBeGreaterThan(2 ** 31);
    expect(bytes).toBeLessThan(DEFAULT_BROWSER_LIMIT);
    expect(planExportSize(large, bytes)).toEqual({ external: true });
    const small = parseModelConfig(QWEN25_05B);
    expect(planExportSize(small, weightBytes(causalLmGraph(small, new Set())))).toEqual({ external: false });
  });

  it('an architecture without a graph is named, with the ones that have one', async () => {
    const { folder, spec } = tiny('llama');
    const mistral = { ...spec, architecture: 'mistral', hfArchitecture: 'MistralForCausalLM' } as unknown as ModelSpec;
    await expect(exportOnnx(mistral, await openCheckpoint(folder), folder)).rejects.toThrow(
      'ONNX export: architecture MistralForCausalLM has no graph; the exporter writes gpt2, llama, qwen2, qwen3, gemma3 models. Pick a model of one of these architectures.',
    );
  });

  it('Gemma 3 has a graph, which reads every tensor of its checkpoint (the four norms a layer and the QK-norm included)', async () => {
    const { folder, spec } = tiny('gemma3');
    const checkpoint = await openCheckpoint(folder);
    const graph = causalLmGraph(spec, new Set(checkpoint.names()));
    expect(graph.weights.map((w) => w.name).sort()).toEqual([...checkpoint.names()].sort());
    expect(graph.weights.map((w) => w.name)).toContain('model.layers.1.post_feedforward_layernorm.weight');
    // A checkpoint without one of them is named, not exported without it.
    const missing: TensorSource = {
      label: checkpoint.label,
      names: () => checkpoint.names(),
      info: (n) => (n.endsWith('layers.0.post_attention_layernorm.weight') ? undefined : checkpoint.info(n)),
      read: (n) => checkpoint.read(n),
    };
    await expect(exportOnnx(spec, missing, folder)).rejects.toThrow(/has no tensor model\.layers\.0\.post_attention_layernorm\.weight, which the graph reads/);
  });

  it('interleaved RoPE is refused rather than exported wrong', async () => {
    const { folder, spec } = tiny('llama');
    const interleaved = { ...spec, positions: { ...spec.positions, layout: 'interleaved' } } as ModelSpec;
    await expect(exportOnnx(interleaved, await openCheckpoint(folder), folder)).rejects.toThrow(/rotates interleaved pairs of dimensions/);
  });

  it('a checkpoint that does not match its config.json names the tensor', async () => {
    const { folder, spec } = tiny('gpt2');
    const checkpoint = await openCheckpoint(folder);
    const missing: TensorSource = { ...checkpoint, label: checkpoint.label, names: () => checkpoint.names(), info: (n) => (n.endsWith('h.1.mlp.c_fc.bias') ? undefined : checkpoint.info(n)), read: (n) => checkpoint.read(n) };
    await expect(exportOnnx(spec, missing, folder)).rejects.toThrow('ONNX export: tiny gpt2/model.safetensors has no tensor transformer.h.1.mlp.c_fc.bias, which the graph reads');
    const wider = { ...spec, intermediateSize: 256 };
    await expect(exportOnnx(wider, checkpoint, folder)).rejects.toThrow(
      'ONNX export: transformer.h.0.mlp.c_fc.weight in tiny gpt2/model.safetensors has shape [32, 128], but config.json implies [32, 256]',
    );
  });
});
