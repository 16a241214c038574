/** RoPE from a Llama-family config.json: theta, partial rotary dimensions and rope_scaling. */
import { scaledInvFreq, type RopeScaling } from '../rope-scaling';
import type { PositionEncoding } from '../spec';
import type { ConfigFields } from './config-fields';

/**
 * transformers 5 writes rope_parameters {rope_type, rope_theta, ...}; earlier versions write
 * rope_theta and rope_scaling {rope_type or type, ...} at the top level. Both are read.
 */
export function parseRope(f: ConfigFields, headDim: number): PositionEncoding {
  const field = f.has('rope_parameters') ? 'rope_parameters' : 'rope_scaling';
  const params = f.object(field);
  const rope = params ? f.nested(params, field) : null;
  const theta = rope?.has('rope_theta') ? rope.positive('rope_theta') : f.positive('rope_theta', 10000);
  const partial = rope?.has('partial_rotary_factor') ? rope.positive('partial_rotary_factor') : f.positive('partial_rotary_factor', 1);
  const rotaryDim = Math.floor(headDim * partial);
  if (partial > 1 || rotaryDim < 2 || rotaryDim % 2 !== 0) {
    throw new Error(
      `${f.source}: partial_rotary_factor ${partial} × head_dim ${headDim} gives ${rotaryDim} rotary dimensions; expected an even number from 2 to head_dim. Check the file or download it again.`,
    );
  }
  const scaling = rope ? parseRopeScaling(rope) : { type: 'default' as const };
  return { kind: 'rope', theta, rotaryDim, layout: 'half', invFreq: scaledInvFreq(theta, rotaryDim, scaling) };
}

function parseRopeScaling(r: ConfigFields): RopeScaling {
  const type = r.has('rope_type') ? r.string('rope_type') : r.string('type', 'default');
  switch (type) {
    case 'default':
      return { type };
    case 'linear':
      return { type, factor: r.positive('factor') };
    case 'llama3': {
      const lowFreqFactor = r.positive('low_freq_factor');
      const highFreqFactor = r.positive('high_freq_factor');
      if (highFreqFactor <= lowFreqFactor) {
        throw new Error(`${r.source}: high_freq_factor ${highFreqFactor} must be larger than low_freq_factor ${lowFreqFactor} for llama3 RoPE scaling. Check the file or download it again.`);
      }
      return { type, factor: r.positive('factor'), lowFreqFactor, highFreqFactor, originalMaxPositions: r.int('original_max_position_embeddings') };
    }
    default:
      throw new Error(`${r.source}: RoPE scaling type ${type} is not supported; supported: default, linear, llama3. Pick a model without this rope_scaling.`);
  }
}

