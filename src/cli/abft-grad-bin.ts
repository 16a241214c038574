/** Entry of dist-node/abft-grad.mjs (see abft-grad.ts). */
import { abftGrad } from './abft-grad';
import { runCli } from './run';

runCli(abftGrad);
