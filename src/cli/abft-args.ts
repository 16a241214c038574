/**
 * The `abft` command line: usage text and argument parsing, with every bad value reported as a
 * UsageError that names the option and what it accepts (the CLI prints it and exits with 2).
 */
import { DEFAULT_LABEL_SCORING, LABEL_SCORINGS, type LabelScoring } from '../abft/label-scoring';
import { abftObjectivePresets, type AbftObjectiveOptions, type AbftPresetName } from '../abft/objective';
import type { SuiteMeasures } from '../abft/suite';
import { CLASSROOM_CLASSES, CLASSROOM_POOL_ROWS, CLASSROOM_PRESETS, CLASSROOM_TEST_ROWS } from '../data/classroom-presets';
import { checkTrainOptions, type TrainOptions } from '../train/options';

const CLASSROOM_LINES = CLASSROOM_PRESETS.map((p) => `    ${p.id.padEnd(30)}${p.split === 'held-out' ? 'held out of pretraining' : 'pretraining family'}`).join('\n');

export const USAGE = `usage:
  abft train --model DIR --data FILE|PRESET|CLASSROOM|synthetic [options]   fine-tune W_Q/W_K with ABFT (or the end-to-end baseline)
  abft eval  --model DIR --data FILE|PRESET|CLASSROOM|synthetic [options]   evaluate ICL and print the report as JSON
  abft export --model DIR --onnx --out DIR [options]              the model as an ONNX folder for transformers.js
  abft pretrain --config FILE.json --out DIR                      pretrain a model from random weights on the classroom corpus
  abft corpus --config FILE.json --sequences N --out DIR          write that run's corpus as binary files (for other trainers)
  abft --help

data and template (train and eval):
  --data FILE|PRESET|CLASSROOM|synthetic
                               .csv, .tsv, .txt or .jsonl with a header/keys; a paper dataset read from the
                               Hugging Face Hub: sst2, mr, fp, sst5, trec, subj, tee, teh (rows with no text
                               or label are skipped and counted); a built-in classroom task, classroom/<family>
                               (below); or built-in synthetic sentiment rows
  --hub-datasets URL           the Hub's dataset viewer API for a PRESET (default https://datasets-server.huggingface.co)
  --text-column NAME           column of the text in FILE (default text)
  --label-column NAME          column of the label in FILE (default label)
  --encoding utf-8|latin1      how FILE is written (default utf-8; a file that is not UTF-8 is an error naming
                               the first bad byte; latin1 reads Latin-1 as Windows writes it, Windows-1252)
  --delimiter comma|semicolon|tab|pipe   the separator of a .csv/.txt/.tsv FILE (default: a tab for .tsv,
                               else told from the header and first rows)
  --labels W1,W2,...           label words, one per class (default: the preset's words, or the file's labels,
                               printed with their counts; with --labels a row whose label is not one of them
                               is an error)
  --label-scoring sequence|first|last   how a label word is scored as the query's answer: the log-probability
                               of all its tokens (default), or the logit of its first or last token (StaICC's);
                               in the demonstrations ABFT reads a label word at its first token
  --input-prefix S             before each text (default: the preset's, or "review: ")
  --label-prefix S             before each label word (default: the preset's, or "sentiment: ")
  --k N                        demonstrations per prompt (default 4)
  --seed N                     seeds the split, the prompts and the training order (default 0)
  --queries N                  test queries, 2 demonstration sets each (default 512; 0 skips evaluation in train)
  --measures LIST              test,demos,templates,unseen (default all four)
  --micro-batch N              prompts per GPU pass (default 8)
  --f16                        keep the frozen weights in f16 on the GPU

  Split: the rows are shuffled with the seed; the first min(1024, n/2) are the training pool, of the
  rest the first min(--queries, half) are the test queries and the others the demonstration pool.

  CLASSROOM: a task of the classroom language (docs/classroom-language.md), made for the classroom
  model, rows fixed whatever --seed: ${CLASSROOM_POOL_ROWS} pool rows (training and demonstrations), ${CLASSROOM_TEST_ROWS} test queries
  whose texts are not in the pool (but in word-alone, whose texts are the keys), ${CLASSROOM_CLASSES} classes, template
  "Input: " / "Label: ".
${CLASSROOM_LINES}

train:
  --objective abft|end-to-end  (default abft)
  --ablation none|no-pid|no-filter|no-punishment|no-reward   the paper's Table 4 (default none)
  --lr X (default 2e-5)   --steps N (default 32)   --pseudo-batch N (default 32)   --train-prompts N (default 512)
  --out DIR                    writes report.json, checkpoint.safetensors and the fine-tuned model (loads with --model DIR)
  --resume FILE                continue from a checkpoint.safetensors (same model, data and options; --steps may grow)
  --checkpoint-every N         also write OUT/checkpoint.safetensors every N steps

Prints one JSON line of metrics per step. Exit codes: 0 done, 2 bad input, 3 stopped early by a non-finite loss (outputs written).

export:
  --onnx                       write OUT/onnx/model.onnx (+ model.onnx_data for weights over 2 GiB), config.json,
                               generation_config.json and the tokenizer files: a folder transformers.js loads
  --out DIR                    the folder to write
  --checkpoint FILE            apply a training run's checkpoint.safetensors (trained on --model) before exporting
  --queries N                  test prompts (from --data, default synthetic) on which the export is run in
                               onnxruntime-web (wasm) and compared with the engine (default 8; 0 skips)
  --external-data-above BYTES  weights above this go to onnx/model.onnx_data (default just under 2 GiB)
  --max-weight-bytes BYTES     refuse models whose float32 weights exceed this (default 3 GiB, what a browser can hold)

Prints a JSON summary with the verification. Exit codes: 0 done, 2 bad input, 4 written but the verification failed.

pretrain:
  --config FILE.json           the run (every field but model.layers/hidden/heads, corpus.length and steps has a default):
                               { "architecture": "llama" (or gpt2, qwen2, qwen3, gemma3),
                                 "model": { "layers", "hidden", "heads", "kvHeads" (= heads), "intermediate" (4 hidden),
                                            "maxPositions" (= corpus.length), "tied" (true), "initStd" (0.02) },
                                 "corpus": { "seed" (0), "length", "families" (the train families) },
                                 "steps", "batch": { "sequences" (8), "microBatch" (= sequences) },
                                 "loss": { "otherTokens" (1: every token), "attention" ([]: none; each
                                           { "layer", "heads": [..], "toward": "own-line-text" or "matching-labels", "weight" (1) }) },
                                 "optimizer": { "lr" (1e-3), "warmupSteps" (100), "decaySteps" (= steps), "minLr" (lr / 10),
                                                "weightDecay" (0.1), "clip" (1; 0 off), "beta1" (0.9), "beta2" (0.95) },
                                 "seed" (0: the initial weights), "logEvery" (1),
                                 "eval": { "every" (0: at the end only), "sequences" (32), "seed" (corpus.seed + 1000) },
                                 "checkpointEvery" (0: at the end only), "keepCheckpoints" (false: true also keeps
                                 each as DIR-step-N) }
  --out DIR                    writes config.json, model.safetensors, tokenizer.json, tokenizer_config.json (a model
                               folder every command and the app load) and pretrain-log.json (config, loss curve,
                               ICL measures, tokens seen, time, adapter)

Prints one JSON line per logged step (step, loss, attentionLoss per guide, lr, gradNorm, tokens seen, ms) and per evaluation: label accuracy
among the 16 label words where the key appeared earlier in the sequence (recoverable: the induction signal) and where
it did not (unseen), on held-out and on train families, beside copyBaseline: the accuracy of copying any earlier label
of the sequence (above it, the key was matched). Exit codes: 0 done, 2 bad input, 3 stopped by non-finite gradients (outputs written).

corpus:
  --config FILE.json           a pretraining config (as above): its corpus, batch and eval sections are read
  --sequences N                the first N training sequences, in the order abft pretrain trains on them
  --out DIR                    writes train.tokens.bin (int32, N x corpus.length, little-endian), train.labels.bin
                               (uint8 per token: 0, 1 a label whose key is new, 2 a label an earlier line gives away),
                               the same for eval.sequences sequences of each family (eval-<family>.*, the eval
                               seed), corpus.json (shapes, vocabulary size, special and label token ids) and
                               model/ (the run's config.json, tokenizer.json and tokenizer_config.json)`;

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const SHARED = ['model', 'data', 'hub-datasets', 'text-column', 'label-column', 'encoding', 'delimiter', 'labels', 'label-scoring', 'input-prefix', 'label-prefix', 'k', 'seed', 'queries', 'measures', 'micro-batch'];
const TRAIN_ONLY = ['objective', 'ablation', 'lr', 'steps', 'pseudo-batch', 'train-prompts', 'out', 'resume', 'checkpoint-every'];
const EXPORT_ONLY = ['checkpoint', 'external-data-above', 'max-weight-bytes'];
const PRETRAIN_OPTIONS = ['config', 'out'];
const CORPUS_OPTIONS = ['config', 'sequences', 'out'];
const FLAGS = ['f16', 'help', 'onnx'];

export type Command = 'train' | 'eval' | 'export' | 'pretrain' | 'corpus';
const COMMANDS: readonly Command[] = ['train', 'eval', 'export', 'pretrain', 'corpus'];

export interface ParsedArgs {
  readonly command: Command | null;
  /** Options given, by name without dashes; flags map to ''. */
  readonly values: ReadonlyMap<string, string>;
}

export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  let command: Command | null = null;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (!arg.startsWith('--')) {
      if (command !== null || !COMMANDS.includes(arg as Command)) {
        throw new UsageError(`unexpected argument "${arg}"; the command is train, eval, export, pretrain or corpus, options start with --`);
      }
      command = arg as Command;
      continue;
    }
    const name = arg.slice(2);
    if (FLAGS.includes(name)) {
      values.set(name, '');
      continue;
    }
    if (!SHARED.includes(name) && !TRAIN_ONLY.includes(name) && !EXPORT_ONLY.includes(name) && !PRETRAIN_OPTIONS.includes(name) && !CORPUS_OPTIONS.includes(name)) throw new UsageError(`unknown option ${arg}; see abft --help`);
    const value = argv[i + 1];
    if (value === undefined || (value.startsWith('--') && value.length > 2)) throw new UsageError(`option ${arg} needs a value`);
    if (values.has(name)) throw new UsageError(`option ${arg} is given twice`);
    values.set(name, value);
    i++;
  }
  if (values.has('help')) return { command, values };
  if (command === null) throw new UsageError('give a command: abft train ..., abft eval ..., abft export ... or abft pretrain ...; see abft --help');
  if (command === 'pretrain' || command === 'corpus') {
    const options = command === 'pretrain' ? PRETRAIN_OPTIONS : CORPUS_OPTIONS;
    const other = [...values.keys()].find((n) => !options.includes(n));
    if (other) throw new UsageError(`--${other} is not an option of abft ${command}, which takes ${options.map((n) => `--${n}`).join(', ')} (the rest is in the config file)`);
    for (const name of options) if (!values.has(name)) throw new UsageError(`missing --${name}; see abft --help`);
    return { command, values };
  }
  if (values.has('config')) throw new UsageError(`--config is an option of abft pretrain and abft corpus, not abft ${command}`);
  const misplaced = (names: readonly string[], owner: string) => {
    const found = [...values.keys()].find((n) => names.includes(n));
    if (found) throw new UsageError(`--${found} is an option of ${owner}, not abft ${command}`);
  };
  if (command !== 'train') misplaced(command === 'export' ? TRAIN_ONLY.filter((n) => n !== 'out') : TRAIN_ONLY, 'abft train');
  if (command !== 'export') misplaced([...EXPORT_ONLY, 'onnx'], 'abft export');
  const required = command === 'export' ? ['model', 'onnx', 'out'] : ['model', 'data'];
  for (const name of required) if (!values.has(name)) throw new UsageError(`missing --${name}; see abft --help`);
  return { command, values };
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, kind: 'int' | 'positive' | 'count'): number {
  const text = args.values.get(name);
  if (text === undefined) return fallback;
  const value = Number(text);
  const ok = text.trim() !== '' && Number.isFinite(value) && (kind === 'positive' ? value > 0 : Number.isInteger(value) && (kind === 'int' || value >= 0));
  if (!ok) {
    const want = { int: 'a whole number', positive: 'a positive number such as 2e-5', count: 'a whole number of 0 or more' }[kind];
    throw new UsageError(`--${name} is "${text}"; it must be ${want}`);
  }
  return value;
}

const ABLATIONS: Readonly<Record<string, AbftPresetName>> = {
  none: 'abft',
  'no-pid': 'noPid',
  'no-filter': 'noHeadFilter',
  'no-punishment': 'noPunishment',
  'no-reward': 'noReward',
};

export function choice<T extends string>(args: ParsedArgs, name: string, allowed: readonly T[]): T | undefined {
  const value = args.values.get(name);
  if (value !== undefined && !allowed.includes(value as T)) throw new UsageError(`--${name} is "${value}"; it must be one of ${allowed.join(', ')}`);
  return value as T | undefined;
}

/**
 * The run's TrainOptions: `base` (the defaults, or a resumed checkpoint's options) with the options
 * given on the command line applied over it.
 */
export function trainOptions(args: ParsedArgs, base: TrainOptions): TrainOptions {
  const ablation = choice(args, 'ablation', Object.keys(ABLATIONS));
  const abft: AbftObjectiveOptions = ablation ? abftObjectivePresets[ABLATIONS[ablation]] : base.abft;
  const options: TrainOptions = {
    ...base,
    objective: choice(args, 'objective', ['abft', 'end-to-end'] as const) ?? base.objective,
    labelScoring: choice(args, 'label-scoring', LABEL_SCORINGS) ?? base.labelScoring,
    abft,
    lr: numberOption(args, 'lr', base.lr, 'positive'),
    steps: numberOption(args, 'steps', base.steps, 'int'),
    pseudoBatch: numberOption(args, 'pseudo-batch', base.pseudoBatch, 'int'),
    microBatch: numberOption(args, 'micro-batch', base.microBatch, 'int'),
    k: numberOption(args, 'k', base.k, 'int'),
    seed: numberOption(args, 'seed', base.seed, 'int'),
  };
  try {
    checkTrainOptions(options);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  return options;
}

/** --label-scoring of eval and export (train takes it into its TrainOptions). */
export function labelScoringOption(args: ParsedArgs): LabelScoring {
  return choice(args, 'label-scoring', LABEL_SCORINGS) ?? DEFAULT_LABEL_SCORING;
}

const MEASURES: Readonly<Record<string, keyof SuiteMeasures>> = {
  test: 'test',
  demos: 'demonstrationConsistency',
  templates: 'templateConsistency',
  unseen: 'unseenLabel',
};

export function suiteMeasures(args: ParsedArgs): SuiteMeasures {
  const text = args.values.get('measures');
  const names = text === undefined ? Object.keys(MEASURES) : text.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(n in MEASURES));
  if (unknown !== undefined || names.length === 0) throw new UsageError(`--measures has "${unknown ?? ''}"; list some of ${Object.keys(MEASURES).join(',')}`);
  const picked = new Set(names.map((n) => MEASURES[n]));
  return { test: picked.has('test'), demonstrationConsistency: picked.has('demonstrationConsistency'), templateConsistency: picked.has('templateConsistency'), unseenLabel: picked.has('unseenLabel') };
}
