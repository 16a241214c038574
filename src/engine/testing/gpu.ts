import { expect } from 'vitest';
import { Engine } from '../engine';
import { nodeGpu } from '../node-gpu';

let engine: Promise<Engine> | null = null;

/** One engine per test file (each Vitest worker), on whatever adapter Dawn finds (lavapipe here). */
export function testEngine(): Promise<Engine> {
  engine ??= nodeGpu().then((gpu) => Engine.create(gpu));
  return engine;
}

/**
 * Asserts that `run`, once warmed up, allocates no new GPU buffer and gives back every buffer it
 * takes: the pool serves a repeated step entirely from what it already holds.
 */
export async function expectSteadyState(e: Engine, run: () => Promise<void>): Promise<void> {
  await run();
  const before = e.memory();
  await run();
  const after = e.memory();
  expect(after.buffersCreated).toBe(before.buffersCreated);
  expect(after.inUseBytes).toBe(before.inUseBytes);
}
