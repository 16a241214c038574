/**
 * The `abft` command: fine-tune a model's W_Q/W_K with ABFT from the command line, evaluate it, or
 * export it as an ONNX folder for transformers.js, or pretrain a model from random weights on the
 * classroom corpus.
 * `main(argv, io)` runs in-process (tests call it); abft-bin.ts is the bundled entry. Bad input
 * (options, files, data, labels, checkpoints) is one message on stderr and exit code 2, never a
 * stack trace; see USAGE for the commands and exit codes.
 */
import { labelScoringOption, numberOption, parseArgs, USAGE, UsageError, type ParsedArgs } from './abft-args';
import { corpusCommand } from './abft-corpus';
import { describeSplit, loadRunData } from './abft-data';
import { exportCommand } from './abft-export';
import type { CliIo } from './abft-io';
import { pretrainCommand } from './abft-pretrain';
import { describeModel, loadRunModel, runEvaluation } from './abft-model';
import { prepareTraining, runTraining } from './abft-train';

export type { CliIo } from './abft-io';

async function evalCommand(args: ParsedArgs, io: CliIo): Promise<void> {
  // Options first, so a mistyped one is the only message, before the data is read and described.
  const k = numberOption(args, 'k', 4, 'int');
  const seed = numberOption(args, 'seed', 0, 'int');
  const labelScoring = labelScoringOption(args);
  const data = await loadRunData(args, (line) => io.stderr(line));
  if (data.queries.length === 0) throw new UsageError('--queries is 0 (or the data has too few rows for test queries); eval needs at least one query');
  const e = await io.engine();
  const run = await loadRunModel(e, args);
  try {
    const report = await runEvaluation(e, run, data, args, { k, seed, labelScoring });
    io.stdout(JSON.stringify({ tool: 'abft eval', model: describeModel(run), data: { source: data.source, template: data.template, split: describeSplit(data) }, k, seed, labelScoring, report }, null, 2));
  } finally {
    run.release();
  }
}

/** Runs one command; resolves to the exit code. Errors that are not bad input (bugs) are thrown. */
export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const badInput = (error: unknown): number => {
    io.stderr(`abft: ${(error as Error).message}`);
    return 2;
  };
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (error) {
    return badInput(error);
  }
  if (args.values.has('help')) {
    io.stdout(USAGE);
    return 0;
  }
  if (args.command === 'pretrain') return pretrainCommand(args, io);
  if (args.command === 'corpus') return corpusCommand(args, io);
  if (args.command === 'export') {
    // Export reads the model, the checkpoint and the data the user gave; its errors are input errors.
    try {
      return await exportCommand(args, io);
    } catch (error) {
      return badInput(error);
    }
  }
  if (args.command === 'eval') {
    // Everything eval does is reading input and scoring it: any failure is reported as a message.
    try {
      await evalCommand(args, io);
      return 0;
    } catch (error) {
      return badInput(error);
    }
  }
  let session;
  try {
    session = await prepareTraining(args, io);
  } catch (error) {
    // Set-up only reads what the user gave (options, files, model, data, checkpoint): its errors are input errors.
    return badInput(error);
  }
  return runTraining(session, io);
}
