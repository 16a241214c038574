import type { Engine } from '../engine/engine';

/** What `abft`'s main talks to: the bundled CLI passes the process's streams and a Dawn engine, tests their own. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** The engine to run on; called once, after the arguments and data have been checked. The caller owns it. */
  engine(): Promise<Engine>;
}
