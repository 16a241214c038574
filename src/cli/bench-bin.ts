/** Entry of dist-node/bench.mjs (see bench.ts). */
import { bench } from './bench';
import { runCli } from './run';

runCli(bench);
