import { describe, expect, it } from 'vitest';
import { testEngine } from '../../engine/testing/gpu';
import { openCheckpoint } from '../checkpoint';
import { parseModelConfig } from '../config';
import { memoryFolder } from '../files';
import { releaseWeights } from '../load';
import { countParameters, trainableQkParameters, weightTensors } from '../memory';
import { GEMMA3_270M } from '../known-configs';
import { tinyModelFiles } from '../testing/tiny-models';
import { loadWeights } from '../weights';
import { ARCHITECTURE_IDS, ARCHITECTURES, ARCHITECTURES_BY_MODEL_TYPE, architectureModule, type Architecture } from '.';
import { engineShape, layerParts, partTensors, type HfTensor, type ModelTensors } from './types';

async function tiny(arch: Architecture, tied?: boolean) {
  const files = tinyModelFiles(arch, { tied, layers: 3 });
  const config = JSON.parse(files['config.json'] as string) as Record<string, unknown>;
  const spec = parseModelConfig(config);
  return { config, spec, source: await openCheckpoint(memoryFolder(`tiny ${arch}`, files)) };
}

/** Every tensor the description names, with the head only when the model is untied. */
function described(t: ModelTensors, tied: boolean): HfTensor[] {
  return [
    t.tokenEmbedding,
    ...(t.positionEmbedding ? [t.positionEmbedding] : []),
    ...t.layers.flatMap((l) => partTensors(layerParts(l))),
    ...partTensors([t.finalNorm]),
    ...(tied ? [] : [t.lmHead]),
  ];
}

const elements = (shape: readonly number[]) => shape.reduce((p, d) => p * d, 1);

describe('architecture registry', () => {
  it('registers each module under its own id, HF class name and model_type, once', () => {
    expect(ARCHITECTURE_IDS).toEqual(['gpt2', 'llama', 'qwen2', 'qwen3', 'gemma3']);
    for (const id of ARCHITECTURE_IDS) {
      const m = architectureModule(id);
      expect(m.id).toBe(id);
      expect(ARCHITECTURES[m.hfArchitecture]).toBe(m);
      expect(ARCHITECTURES_BY_MODEL_TYPE[m.modelType]).toBe(m);
    }
    expect(Object.keys(ARCHITECTURES)).toHaveLength(ARCHITECTURE_IDS.length);
    expect(Object.keys(ARCHITECTURES_BY_MODEL_TYPE)).toHaveLength(ARCHITECTURE_IDS.length);
  });

  it('refuses an unknown architecture, naming it and every known one', () => {
    const known = 'GPT2LMHeadModel, LlamaForCausalLM, Qwen2ForCausalLM, Qwen3ForCausalLM, Gemma3ForCausalLM';
    expect(() => parseModelConfig({ architectures: ['MistralForCausalLM'] })).toThrow(`architecture MistralForCausalLM is not supported; supported: ${known}.`);
    expect(() => parseModelConfig({ model_type: 'mistral' })).toThrow(`model_type "mistral"`);
    expect(() => parseModelConfig({ model_type: 'mistral' })).toThrow(known);
    // Names of Object.prototype are not architectures.
    expect(() => parseModelConfig({ architectures: ['toString'] })).toThrow('architecture toString is not supported');
    expect(() => architectureModule('mistral' as Architecture)).toThrow('architecture mistral is not registered; registered: gpt2, llama, qwen2, qwen3, gemma3');
  });

  for (const arch of ARCHITECTURE_IDS) {
    describe(arch, () => {
      it('parses its config.json with or without the architectures list', async () => {
        const { config, spec } = await tiny(arch);
        expect(spec.architecture).toBe(arch);
        const { architectures: _, ...withoutList } = config;
        expect(parseModelConfig(withoutList)).toEqual(spec);
      });

      for (const tied of [true, false]) {
        it(`names exactly the tiny ${tied ? 'tied' : 'untied'} model's weights, in their file shapes, the rest being ignorable buffers`, async () => {
          const { spec, source } = await tiny(arch, tied);
          const m = architectureModule(arch);
          const tensors = described(m.tensors(spec, (n) => source.info(n) !== undefined), tied);
          const inFile = source.names().filter((n) => !m.ignoredTensors.some((p) => p.test(n)));
          expect(tensors.map((t) => t.name).sort()).toEqual([...inFile].sort());
          for (const t of tensors) expect(source.info(t.name)!.shape, t.name).toEqual(t.dims.map((d) => d.n));
          // The memory plan counts the same parameters, and trains W_Q, W_K and their biases.
          expect(countParameters(spec)).toBe(tensors.reduce((sum, t) => sum + elements(t.dims.map((d) => d.n)), 0));
          // GPT-2's q and k are two thirds of c_attn: counted in the engine's shapes, not the file's.
          const qk = m.tensors(spec).layers.flatMap((l) => [l.q, l.k].map(engineShape));
          expect(trainableQkParameters(spec)).toBe(qk.reduce((sum, s) => sum + elements(s.weight) + (spec.qkvBias ? elements(s.bias) : 0), 0));
          expect(weightTensors(spec, 'f16').filter((p) => p.trained).every((p) => p.dtype === 'f32')).toBe(true);
        });
      }

      it('is what the loader reads: no tensor missing, none unused', async () => {
        const e = await testEngine();
        const { spec, source } = await tiny(arch, false);
        const { weights, warnings } = await loadWeights(e, spec, source);
        expect(warnings).toEqual([]);
        expect(weights.layers).toHaveLength(3);
        releaseWeights(weights);
      });
    });
  }

  it("GPT-2's prefix: checkpoints with and without transformer. are named as they are, save_pretrained's by default", async () => {
    const { spec } = await tiny('gpt2');
    const gpt2 = architectureModule('gpt2');
    expect(gpt2.tensors(spec).tokenEmbedding.name).toBe('transformer.wte.weight');
    expect(gpt2.tensors(spec, (n) => n === 'wte.weight').layers[1].q.weight.name).toBe('h.1.attn.c_attn.weight');
    expect(gpt2.tensors(spec, (n) => n === 'transformer.wte.weight').finalNorm.weight.name).toBe('transformer.ln_f.weight');
    // The head is never prefixed.
    expect(gpt2.tensors(spec, (n) => n === 'wte.weight').lmHead.name).toBe('lm_head.weight');
  });

  describe('gemma3 config.json', () => {
    it("reads gemma-3-270m's layer kinds, window, attention and embedding scales, and the RoPE of each kind", () => {
      const spec = parseModelConfig(GEMMA3_270M);
      expect(spec).toMatchObject({ architecture: 'gemma3', hiddenSize: 640, numLayers: 18, numHeads: 4, numKvHeads: 1, headDim: 256, mlp: 'geglu', tieWordEmbeddings: true });
      expect(spec.norm).toEqual({ kind: 'rmsnorm', eps: 1e-6, weightOffset: 1 });
      const g = spec.gemma3!;
      expect(g.layerTypes.flatMap((t, i) => (t === 'full_attention' ? [i] : []))).toEqual([5, 11, 17]);
      expect(g.slidingWindow).toBe(512);
      expect(g.attentionScale).toBe(1 / 16);
      expect(g.embeddingScale).toBe(Math.fround(Math.sqrt(640)));
      expect(g.embeddingScale).not.toBe(Math.sqrt(640));
      const theta = (p: typeof spec.positions) => (p.kind === 'rope' ? p.theta : null);
      expect([theta(spec.positions), theta(g.slidingPositions)]).toEqual([1e6, 1e4]);
      // Without layer_types HF computes them from sliding_window_pattern.
      const { layer_types: _, ...patterned } = GEMMA3_270M;
      expect(parseModelConfig({ ...patterned, sliding_window_pattern: 3 }).gemma3!.layerTypes.slice(0, 6)).toEqual([
        'sliding_attention', 'sliding_attention', 'full_attention', 'sliding_attention', 'sliding_attention', 'full_attention',
      ]);
    });

    it("reads transformers 5's rope_parameters per layer kind, with rope_scaling on the full layers only", () => {
      const v5 = { ...GEMMA3_270M, rope_theta: undefined, rope_local_base_freq: undefined, rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } } };
      const spec = parseModelConfig(v5);
      const full = spec.positions;
      const sliding = spec.gemma3!.slidingPositions;
      if (full.kind !== 'rope' || sliding.kind !== 'rope') throw new Error('expected RoPE');
      expect([full.theta, sliding.theta]).toEqual([1e6, 1e4]);
      expect(full.invFreq[0]).toBeCloseTo(1 / 8, 7);
      expect(sliding.invFreq[0]).toBe(1);
      const v4 = parseModelConfig({ ...GEMMA3_270M, rope_scaling: { rope_type: 'linear', factor: 8 } });
      expect(v4.positions.kind === 'rope' && v4.positions.invFreq).toEqual(full.invFreq);
      expect(v4.gemma3!.slidingPositions.kind === 'rope' && v4.gemma3!.slidingPositions.invFreq).toEqual(sliding.invFreq);
    });

    it('refuses what it does not implement, naming the field', () => {
      expect(() => parseModelConfig({ ...GEMMA3_270M, final_logit_softcapping: 30 })).toThrow('final_logit_softcapping is 30, which caps logits with tanh; this is not implemented.');
      expect(() => parseModelConfig({ ...GEMMA3_270M, attn_logit_softcapping: 50 })).toThrow('attn_logit_softcapping is 50');
      expect(() => parseModelConfig({ ...GEMMA3_270M, use_bidirectional_attention: true })).toThrow('use_bidirectional_attention is true');
      expect(() => parseModelConfig({ ...GEMMA3_270M, hidden_activation: 'relu' })).toThrow('hidden_activation relu is not supported');
      expect(() => parseModelConfig({ ...GEMMA3_270M, layer_types: ['full_attention'] })).toThrow('expected a list of num_hidden_layers 18 entries');
      expect(() => parseModelConfig({ ...GEMMA3_270M, rope_scaling: { rope_type: 'yarn', factor: 8 } })).toThrow('RoPE scaling type yarn is not supported');
    });
  });
});
