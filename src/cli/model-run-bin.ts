/** Entry of dist-node/model-run.mjs (see model-run.ts). */
import { modelRun } from './model-run';
import { runCli } from './run';

runCli(modelRun);
