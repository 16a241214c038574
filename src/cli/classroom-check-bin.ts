/**
 * Entry of dist-node/classroom-check.mjs (`npm run classroom:check`): the paper's Tables 1-4 on the
 * classroom model, as one JSON document (see classroom-check.ts).
 */
import { classroomCheckTool } from './classroom-check';
import { runCli } from './run';

runCli(classroomCheckTool);
