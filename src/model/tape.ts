/**
 * What a forward given a tape (forward.ts, `tape: true`) records for `backward` (backward.ts): per
 * layer the blocks' saved tensors, and the batch and rows they were run on. The tensors live in one
 * arena (scope.ts), released at once when the backward is done.
 */
import type { Tensor } from '../engine/tensor';
import type { AttentionSaved, BatchTensors, HeadSaved, MlpSaved, NormSaved } from './blocks';
import type { LossRowAttentionSaved, LossRows } from './loss-row-attention';

/** What the backward of one layer reads. */
export interface LayerTape {
  /** The attention norm, with a copy of h; null in layer 0, whose input gradient nothing reads, unless the tape goes through the embeddings. */
  readonly attentionNorm: NormSaved | null;
  /** norm(h) [B, T, C], the input of the q, k, v projections. */
  readonly x: Tensor;
  /** The full attention block; null in the layer the forward stopped after, which keeps `lossRow` instead. */
  readonly attention: AttentionSaved | null;
  /** Gemma 3's post-attention norm (its input, the o projection's output, and statistics); null elsewhere and in the layer the forward stopped after. */
  readonly postAttentionNorm: NormSaved | null;
  /** The layer the forward stopped after: q of the loss rows only, k, lse. */
  readonly lossRow: LossRowAttentionSaved | null;
  /** null where the forward stopped after this layer's attention. */
  readonly mlp: MlpSaved | null;
}

export interface Tape {
  /**
   * 'logits': the forward ran the whole model; 'last-attention': it stopped after the last recorded
   * layer's attention (ABFT); 'next-token': it ran every layer and kept the last hidden state, and
   * the backward computes the head and the next-token loss over every position (pretraining).
   */
  readonly upTo: 'last-attention' | 'logits' | 'next-token';
  /** Layer 0's attention norm is recorded too, so the backward reaches the embeddings (training every weight). */
  readonly throughEmbeddings: boolean;
  readonly B: number;
  readonly T: number;
  readonly batch: BatchTensors;
  /**
   * [B, R] i32, the loss rows: the rows whose attention probabilities `probs` holds; R = 1 but with
   * 'next-token', where it is any R, or null when that tape records no α.
   */
  readonly lossRows: Tensor | null;
  /** [B, Hq, R, T] per recorded layer: α of the loss rows. The caller owns these and releases them. */
  readonly probs: readonly Tensor[];
  /** [B, P, V'] with upTo 'logits', else null. The caller owns it. */
  readonly logits: Tensor | null;
  readonly layers: readonly LayerTape[];
  /** The loss rows as rows of h ([B, 1] i32, b * T + t) and their position ids; with upTo 'last-attention'. */
  readonly rows: LossRows | null;
  /** With upTo 'logits': the head's saved tensors, and the rows of h it read ([B, P] i32, b * T + t). */
  readonly head: { readonly saved: HeadSaved; readonly flatRows: Tensor } | null;
  /** With upTo 'next-token': the last hidden state [B, T, C] and each position's target [B * T] (i32, -1 ignored). */
  readonly nextToken: { readonly h: Tensor; readonly targets: Tensor } | null;
  readonly released: boolean;
  /** Gives back every tensor the tape holds (not `probs` or `logits`); `backward` calls it. Idempotent. */
  release(): void;
}
