/**
 * `abft corpus --config FILE.json --sequences N --out DIR`: the classroom corpus of a pretraining
 * config as flat binary files, so that another trainer (PyTorch, scripts/classroom/explore.py)
 * sees exactly the tokens `abft pretrain` would train and evaluate on: the first N training
 * sequences in training order, the evaluation sequences of every family on the eval seed, and the
 * run's config.json and tokenizer files (model/).
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { corpusChunk, RECOVERABLE_LABEL, UNSEEN_LABEL, type CorpusChunk } from '../classroom/corpus';
import { FAMILIES, familyById } from '../classroom/families';
import { IDS, LABEL_IDS, VOCAB_SIZE } from '../classroom/vocabulary';
import { initialModelFiles } from '../pretrain/initial-model';
import { numberOption, UsageError, type ParsedArgs } from './abft-args';
import type { CliIo } from './abft-io';
import { readConfig } from './abft-pretrain';
import { writeFileAtomic } from './atomic-file';

async function writeChunk(dir: string, name: string, chunk: CorpusChunk): Promise<void> {
  await writeFileAtomic(join(dir, `${name}.tokens.bin`), new Uint8Array(chunk.tokens.buffer, chunk.tokens.byteOffset, chunk.tokens.byteLength));
  await writeFileAtomic(join(dir, `${name}.labels.bin`), chunk.labelMask);
}

export async function corpusCommand(args: ParsedArgs, io: CliIo): Promise<number> {
  let config;
  let sequences;
  try {
    config = await readConfig(args.values.get('config')!);
    sequences = numberOption(args, 'sequences', 0, 'count');
    if (sequences < 1) throw new UsageError('--sequences is "0"; it must be at least 1');
  } catch (error) {
    io.stderr(`abft: ${(error as Error).message}`);
    return 2;
  }
  const out = args.values.get('out')!;
  await mkdir(out, { recursive: true });
  const { length, seed } = config.corpus;
  await writeChunk(out, 'train', corpusChunk({ seed, length, families: config.corpus.families.map(familyById) }, 0, sequences));
  for (const family of FAMILIES) await writeChunk(out, `eval-${family.id}`, corpusChunk({ seed: config.eval.seed, length, families: [family] }, 0, config.eval.sequences));
  const description = {
    length,
    train: { sequences, seed, families: config.corpus.families },
    eval: { sequences: config.eval.sequences, seed: config.eval.seed, families: FAMILIES.map((f) => ({ id: f.id, split: f.split })) },
    vocabSize: VOCAB_SIZE,
    ids: { bos: IDS.bos, pad: IDS.pad },
    labelIds: LABEL_IDS,
    labelMarks: { unseen: UNSEEN_LABEL, recoverable: RECOVERABLE_LABEL },
  };
  await writeFileAtomic(join(out, 'corpus.json'), JSON.stringify(description, null, 2));
  // The run's config.json and tokenizer files, so another trainer builds the same model and writes a folder every command loads.
  const model = join(out, 'model');
  await mkdir(model, { recursive: true });
  const files = initialModelFiles(config);
  for (const name of ['config.json', 'tokenizer.json', 'tokenizer_config.json']) await writeFileAtomic(join(model, name), files[name]);
  io.stdout(JSON.stringify({ out, trainSequences: sequences, evalSequences: config.eval.sequences, length }));
  return 0;
}
