/**
 * Entry of dist-node/abft.mjs:
 *
 *   node dist-node/abft.mjs train --model DIR --data FILE|synthetic [--out DIR] ...   (see --help)
 */
import { main } from './abft';
import { exitWith, nodeIo } from './run';

exitWith(main(process.argv.slice(2), nodeIo()));
