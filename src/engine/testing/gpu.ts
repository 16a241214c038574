import { Engine } from '../engine';
import { nodeGpu } from '../node-gpu';

let engine: Promise<Engine> | null = null;

/** One engine per test file (each Vitest worker), on whatever adapter Dawn finds (lavapipe here). */
export function testEngine(): Promise<Engine> {
  engine ??= nodeGpu().then((gpu) => Engine.create(gpu));
  return engine;
}
