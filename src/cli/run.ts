/**
 * How every Node entry starts and ends. `--help` prints the usage, exit code 0; bad input (an
 * InputError: options, files, a model folder) is one line on stderr, exit code 2, no stack trace;
 * anything else is a bug and prints its stack trace, exit code 1.
 */
import { parseArgs } from 'node:util';
import { InputError } from '../data/dataset';
import { Engine } from '../engine/engine';
import { nodeGpu } from '../engine/node-gpu';
import type { CliIo } from './abft-io';

export interface CliTool {
  /** The prefix of its messages. */
  readonly name: string;
  /** Printed for --help or -h; absent where the tool's own parser answers them (bench). */
  readonly usage?: string;
  /** Resolves to the exit code (0 when it gives none); throws an InputError for bad input. */
  run(argv: readonly string[], io: CliIo): Promise<number | void>;
}

/** Runs a tool in-process (tests call it): resolves to its exit code; only unexpected errors are thrown. */
export async function runTool(tool: CliTool, argv: readonly string[], io: CliIo): Promise<number> {
  if (tool.usage !== undefined && (argv.includes('--help') || argv.includes('-h'))) {
    io.stdout(tool.usage);
    return 0;
  }
  try {
    return (await tool.run(argv, io)) ?? 0;
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    io.stderr(`${tool.name}: ${error.message}`);
    return 2;
  }
}

/** The bundled entry of a tool: the process's arguments and streams, one Dawn engine made on first use. */
export function runCli(tool: CliTool): void {
  exitWith(runTool(tool, process.argv.slice(2), nodeIo()));
}

export function nodeIo(): CliIo {
  let engine: Promise<Engine> | null = null;
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    engine: () => (engine ??= nodeGpu().then((gpu) => Engine.create(gpu))),
  };
}

/** Exits with the code, or with 1 and the stack trace of an unexpected error; Dawn keeps the event loop alive, so exit explicitly. */
export function exitWith(code: Promise<number>): void {
  code.then(
    (c) => process.exit(c),
    (error: unknown) => {
      console.error(error instanceof Error ? (error.stack ?? error.message) : error);
      process.exit(1);
    },
  );
}

/** Awaits a read of what the user gave (a model folder, a file): whatever fails there is bad input. */
export async function readingInput<T>(read: Promise<T>): Promise<T> {
  try {
    return await read;
  } catch (error) {
    throw error instanceof InputError ? error : new InputError(error instanceof Error ? error.message : String(error));
  }
}

type OptionKinds = Readonly<Record<string, 'string' | 'boolean'>>;
export type Options<K extends OptionKinds> = { readonly [N in keyof K]?: K[N] extends 'string' ? string : boolean };

/** `--name value` and `--flag` options (node:util's parseArgs, strict): an unknown or incomplete one is an InputError. */
export function parseOptions<K extends OptionKinds>(tool: string, argv: readonly string[], kinds: K): Options<K> {
  const options = Object.fromEntries(Object.entries(kinds).map(([name, type]) => [name, { type }]));
  try {
    return parseArgs({ args: [...argv], options, strict: true, allowPositionals: false }).values as Options<K>;
  } catch (error) {
    if (!String((error as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS')) throw error;
    throw new InputError(`${(error as Error).message.replace(/\.$/, '')}; see ${tool} --help`);
  }
}

export function requiredOption(tool: string, options: Readonly<Record<string, string | boolean | undefined>>, name: string): string {
  const value = options[name];
  if (typeof value !== 'string' || value === '') throw new InputError(`missing --${name}; see ${tool} --help`);
  return value;
}

/** A whole number of at least `min` given as `--name`, or `fallback` when absent. */
export function integerOption(tool: string, value: string | undefined, name: string, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < min) throw new InputError(`--${name} is ${JSON.stringify(value)}; it takes a whole number of at least ${min}; see ${tool} --help`);
  return n;
}
