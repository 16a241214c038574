/**
 * How far training moved W_Q and W_K (ABFT-SPEC.md §5, the paper's App. B): per layer the
 * Frobenius norms ‖W_Q − W_Q⁰‖_F and ‖W_K − W_K⁰‖_F. Weights only: the q/k biases some models
 * train are left out, as in the paper's analysis of the projection matrices.
 */
import type { Engine } from '../engine/engine';
import type { Tensor } from '../engine/tensor';
import type { LoadedModel } from '../model/load';

export interface LayerDeltaNorms {
  readonly layer: number;
  readonly q: number;
  readonly k: number;
}

async function readQK(e: Engine, model: LoadedModel): Promise<{ q: Float32Array[]; k: Float32Array[] }> {
  const layers = model.weights.layers;
  const [q, k] = await Promise.all([
    Promise.all(layers.map((l) => e.read(l.q.weight) as Promise<Float32Array>)),
    Promise.all(layers.map((l) => e.read(l.k.weight) as Promise<Float32Array>)),
  ]);
  return { q, k };
}

/**
 * CPU copies of every layer's W_Q and W_K (and their biases), taken before training: what the ΔW
 * norms compare with, and what `restore` writes back. Memory: per layer C·(H·d) + C·(H_kv·d)
 * floats, so 2·L·C² floats (8·L·C² bytes) for full multi-head attention: 4.7 MB for GPT-2 small,
 * 472 MB for GPT2-L, 983 MB for GPT2-XL; fine for the models trained without LoRA here, too much
 * for 7B models (use norms of the LoRA factors there).
 */
export class WeightSnapshot {
  private constructor(
    readonly q: readonly Float32Array[],
    readonly k: readonly Float32Array[],
    private readonly biases: readonly { readonly q: Float32Array | null; readonly k: Float32Array | null }[],
  ) {}

  static async take(e: Engine, model: LoadedModel): Promise<WeightSnapshot> {
    const { q, k } = await readQK(e, model);
    const read = (t: Tensor | null | undefined) => (t ? (e.read(t) as Promise<Float32Array>) : Promise.resolve(null));
    const biases = await Promise.all(model.weights.layers.map(async (l) => ({ q: await read(l.q.bias), k: await read(l.k.bias) })));
    return new WeightSnapshot(q, k, biases);
  }

  /** Floats held on the CPU. */
  get floats(): number {
    return [...this.q, ...this.k, ...this.biases.flatMap((b) => [b.q, b.k])].reduce((n, w) => n + (w?.length ?? 0), 0);
  }

  /** Writes W_Q and W_K (and biases) back as they were when the snapshot was taken. */
  restore(e: Engine, model: LoadedModel): void {
    model.weights.layers.forEach((layer, l) => {
      e.write(layer.q.weight, this.q[l]);
      e.write(layer.k.weight, this.k[l]);
      const { q, k } = this.biases[l];
      if (layer.q.bias && q) e.write(layer.q.bias, q);
      if (layer.k.bias && k) e.write(layer.k.bias, k);
    });
  }
}

function frobeniusDistance(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i] - b[i]) ** 2;
  return Math.sqrt(sum);
}

/** Reads the current W_Q and W_K once and compares them with the snapshot, in float64. */
export async function deltaNorms(e: Engine, model: LoadedModel, snapshot: WeightSnapshot): Promise<LayerDeltaNorms[]> {
  const now = await readQK(e, model);
  if (now.q.length !== snapshot.q.length || now.q.some((w, l) => w.length !== snapshot.q[l].length || now.k[l].length !== snapshot.k[l].length)) {
    throw new Error('deltaNorms: the snapshot was taken of another model (its layers or weight shapes differ); take it from the model being trained.');
  }
  return now.q.map((q, layer) => ({ layer, q: frobeniusDistance(q, snapshot.q[layer]), k: frobeniusDistance(now.k[layer], snapshot.k[layer]) }));
}
