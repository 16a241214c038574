/**
 * The random starting point of a pretraining run as a Hugging Face folder in memory: the
 * architecture module's real config.json at the configured sizes, model.safetensors drawn from the
 * seed (the tiny-model generator's machinery with a pretraining init), and the classroom
 * language's tokenizer files, so the run loads it through the same path as any checkpoint.
 */
import { classroomTokenizerFiles } from '../classroom/tokenizer-files';
import { IDS, VOCAB_SIZE } from '../classroom/vocabulary';
import { tinyModelFiles } from '../model/testing/tiny-models';
import type { PretrainConfig } from './config';

export function initialModelFiles(config: PretrainConfig): Record<string, Uint8Array | string> {
  const m = config.model;
  const tokenizer = classroomTokenizerFiles(m.maxPositions);
  // The special-token names the architectures' configs read, mapped to the classroom language's:
  // every sequence starts with <bos>, and <pad> ends it.
  const tokenIds = { '<|endoftext|>': IDS.bos, '<|im_start|>': IDS.bos, '<|im_end|>': IDS.pad };
  return tinyModelFiles(config.architecture, {
    seed: config.seed,
    layers: m.layers,
    tied: m.tied,
    sizes: { hidden: m.hidden, heads: m.heads, kvHeads: m.kvHeads, headDim: m.hidden / m.heads, intermediate: m.intermediate, maxPositions: m.maxPositions },
    tokenizer: { files: { ...tokenizer }, vocabSize: VOCAB_SIZE, tokenIds },
    init: { std: m.initStd },
  });
}
