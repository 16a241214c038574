/**
 * Freeing activations by scope instead of by hand. `scope(e, fn)` releases, when `fn` returns,
 * every tensor made while it ran except those its result holds (found in arrays and plain objects,
 * views included: a view keeps the tensor whose buffer it shares) and those an `Arena` holds. What
 * the result keeps goes on to the enclosing scope, which frees it in turn unless it keeps it too; at
 * the outermost scope it belongs to the caller. If `fn` throws, everything it made is released,
 * held or not.
 *
 * An `Arena` is storage for later (the forward's tape): `hold(value)` marks the tensors in `value`,
 * and the scope that made each one hands it to the arena instead of releasing it; `release()` gives
 * them all back at once. Tensors `hold` names must be made inside a scope.
 */
import type { Engine } from '../engine/engine';
import { Tensor } from '../engine/tensor';

const heldBy = new WeakMap<GPUBuffer, Arena>();
/** The made-lists of the scopes running now, innermost last, so a scope can hand on what it keeps. */
const open: Tensor[][] = [];

export function scope<R>(e: Engine, fn: () => R): R {
  const made: Tensor[] = [];
  open.push(made);
  let result: R;
  try {
    result = e.trackTensors(made, fn);
  } catch (error) {
    // What a failed block made is of no use to anyone, an arena included.
    for (const t of made) {
      if (t.isReleased) continue;
      heldBy.delete(t.buffer);
      t.release();
    }
    throw error;
  } finally {
    open.pop();
  }
  const kept = buffersIn(result);
  const outer = open.at(-1);
  for (const t of made) {
    if (t.isReleased) continue;
    const buffer = t.buffer;
    const arena = heldBy.get(buffer);
    if (arena) arena.adopt(t);
    else if (kept.has(buffer)) outer?.push(t);
    else t.release();
  }
  return result;
}

export class Arena {
  private readonly marked = new Set<GPUBuffer>();
  private readonly owned: Tensor[] = [];
  private done = false;

  /** Keeps the tensors in `value` (arrays and plain objects are searched) until `release`; returns `value`. */
  hold<V>(value: V): V {
    if (this.done) throw new Error('Arena.hold: this arena was already released');
    for (const buffer of buffersIn(value)) {
      this.marked.add(buffer);
      heldBy.set(buffer, this);
    }
    return value;
  }

  /** Called by the scope that made `t`, whose buffer this arena holds. */
  adopt(t: Tensor): void {
    this.owned.push(t);
  }

  get released(): boolean {
    return this.done;
  }

  /** Gives back every tensor held. Idempotent. */
  release(): void {
    if (this.done) return;
    this.done = true;
    for (const buffer of this.marked) if (heldBy.get(buffer) === this) heldBy.delete(buffer);
    for (const t of this.owned) t.release();
    this.marked.clear();
    this.owned.length = 0;
  }
}

/** The buffers of the tensors in `value`, searching arrays and plain objects (not class instances, such as an arena). */
function buffersIn(value: unknown, into = new Set<GPUBuffer>(), seen = new Set<object>()): Set<GPUBuffer> {
  if (value === null || typeof value !== 'object' || seen.has(value)) return into;
  seen.add(value);
  if (value instanceof Tensor) {
    if (!value.isReleased) into.add(value.buffer);
  } else if (Array.isArray(value)) {
    for (const v of value) buffersIn(v, into, seen);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) buffersIn(v, into, seen);
  }
  return into;
}
