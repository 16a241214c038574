/** Entry of dist-node/bench-kernels.mjs (see bench-kernels.ts). */
import { benchKernels } from './bench-kernels';
import { runCli } from './run';

runCli(benchKernels);
