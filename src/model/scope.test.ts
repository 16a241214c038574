import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../engine/engine';
import { testEngine } from '../engine/testing/gpu';
import { Arena, scope } from './scope';

let e: Engine;
beforeAll(async () => {
  e = await testEngine();
});
afterAll(() => e?.destroy());

const inUse = (): number => e.memory().inUseBytes;

describe('scope', () => {
  it('frees what it made except what it returns, views included, and the enclosing scope frees that in turn', async () => {
    const start = inUse();
    const outer = scope(e, () => {
      const kept = scope(e, () => {
        e.zeros([64]);
        const a = e.zeros([128]);
        return { view: a.reshape([2, 64]) };
      });
      expect(inUse() - start).toBe(128 * 4);
      expect(kept.view.isReleased).toBe(false);
      return null;
    });
    expect(outer).toBeNull();
    expect(inUse()).toBe(start);
  });

  it('leaves what the outermost scope returns to the caller, with its values', async () => {
    const start = inUse();
    const t = scope(e, () => {
      const tmp = e.upload([1, 2, 3], [3]);
      const out = e.empty([3]);
      e.copy(tmp, out);
      return out;
    });
    expect(inUse() - start).toBe(256);
    expect([...(await e.read(t))]).toEqual([1, 2, 3]);
    t.release();
    expect(inUse()).toBe(start);
  });

  it('hands what an arena holds to the arena, which releases it once', () => {
    const start = inUse();
    const arena = new Arena();
    scope(e, () => {
      scope(e, () => arena.hold([e.zeros([16])]));
      arena.hold({ deep: { t: e.zeros([32]) } });
      e.zeros([8]);
    });
    expect(inUse() - start).toBe(2 * 256);
    arena.release();
    arena.release();
    expect(arena.released).toBe(true);
    expect(inUse()).toBe(start);
  });

  it('releases everything made when the block throws, held or not', () => {
    const start = inUse();
    const arena = new Arena();
    expect(() =>
      scope(e, () => {
        arena.hold(e.zeros([16]));
        e.zeros([16]);
        throw new Error('boom');
      }),
    ).toThrow('boom');
    expect(inUse()).toBe(start);
    arena.release();
    expect(inUse()).toBe(start);
  });
});
