/** Entry of dist-node/tiny-model.mjs (see tiny-model.ts). */
import { runCli } from './run';
import { tinyModel } from './tiny-model';

runCli(tinyModel);
