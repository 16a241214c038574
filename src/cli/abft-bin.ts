/**
 * Entry of dist-node/abft.mjs:
 *
 *   node dist-node/abft.mjs train --model DIR --data FILE|synthetic [--out DIR] ...   (see --help)
 */
import { Engine } from '../engine/engine';
import { nodeGpu } from '../engine/node-gpu';
import { main } from './abft';

let engine: Promise<Engine> | null = null;

main(process.argv.slice(2), {
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  engine: () => (engine ??= nodeGpu().then((gpu) => Engine.create(gpu))),
}).then(
  // Dawn keeps the event loop alive, so exit explicitly.
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  },
);
