/**
 * The backward pass of a training step, from the top layer down, summing into the gradients of the
 * trainable weights only (grads.ts): frozen weights just pass the gradient on to their input. With
 * the sets 'qk' and 'attention' nothing below layer 0's attention runs, since the embeddings are
 * frozen; with 'all' (pretraining) the gradient goes on through layer 0's norm into the embeddings.
 * ABFT's gradient enters as dL/dα of the loss rows in every layer; the end-to-end baseline's as
 * dL/dlogits of those rows; pretraining's is the next-token loss over every position, which the
 * backward computes itself (next-token-loss.ts) and returns, plus dL/dα of chosen rows where
 * pretraining also guides the attention. No readback; the tape is released at the end.
 */
import type { Engine } from '../engine/engine';
import { accumulateInto } from '../engine/ops/optimizer';
import type { Tensor } from '../engine/tensor';
import { attentionResidualBackward, embedBackward, logitsHeadBackward, mlpResidualBackward, normalizeBackward, selfAttentionBackward } from './blocks';
import type { TrainableGrads } from './grads';
import { scope } from './scope';
import { lossRowAttentionBackward } from './loss-row-attention';
import { nextTokenLossBackward } from './next-token-loss';
import type { ModelSpec, ModelWeights } from './spec';
import type { Tape } from './tape';

export interface Upstream {
  /**
   * Per layer, dL/dα [B, Hq, R, T] of the tape's `probs`: the ABFT loss gradient (R = 1), required for
   * a 'last-attention' tape; or a loss on the attention of a 'next-token' tape that recorded α.
   */
  readonly probsGrad?: readonly Tensor[];
  /** dL/dlogits [B, P, V'] of the tape's `logits`; a 'logits' tape only. */
  readonly logitsGrad?: Tensor;
}

export interface BackwardResult {
  /** A 'next-token' tape's loss per position, [B * T] (0 where ignored), summed over nothing yet; the caller owns it. Null otherwise. */
  readonly nextTokenLoss: Tensor | null;
}

/** A 'next-token' tape takes no upstream gradient: its loss is computed here. */
export function backward(e: Engine, spec: ModelSpec, weights: ModelWeights, tape: Tape, upstream: Upstream, grads: TrainableGrads): BackwardResult {
  checkUpstream(spec, tape, upstream, grads);
  // The gradients this makes are freed when it ends; the trainable weights' sums and the loss are not among them.
  const nextTokenLoss = scope(e, (): Tensor | null => {
    const { batch } = tape;
    const hShape = [tape.B, tape.T, spec.hiddenSize];
    const model = grads.model;
    let loss: Tensor | null = null;
    // The residual stream's gradient, [B, T, C]; null while it is still zero (ABFT's top layer).
    let dh: Tensor | null = null;
    if (tape.nextToken) {
      ({ dh, loss } = nextTokenLossBackward(e, spec, weights, tape.nextToken.h, tape.nextToken.targets, model));
    } else if (upstream.logitsGrad && tape.head) {
      dh = logitsHeadBackward(e, spec, weights, tape.head.saved, tape.head.flatRows, upstream.logitsGrad, hShape, model);
    }
    for (let l = tape.layers.length - 1; l >= 0; l--) {
      const layer = weights.layers[l];
      const lt = tape.layers[l];
      const layerGrads = grads.layers[l];
      const probsGrad = upstream.probsGrad && tape.lossRows ? { rows: tape.lossRows, grad: upstream.probsGrad[l] } : undefined;
      const needDx = lt.attentionNorm !== null;
      // Each layer frees its gradients but the residual stream's, which goes on down.
      dh = scope(e, (): Tensor | null => {
        let dx: Tensor | null;
        if (lt.lossRow) {
          // The layer the forward stopped after: nothing above it, so its only gradient is the loss's on α.
          if (!probsGrad || dh || !tape.rows) throw new Error('backward: a loss-row attention layer takes only the gradient on its probabilities');
          dx = lossRowAttentionBackward(e, spec, layer, lt.x, lt.lossRow, batch, l, tape.rows, probsGrad.grad, layerGrads, needDx);
        } else {
          if (!lt.attention) throw new Error(`backward: layer ${l} of the tape has no attention saved`);
          if (lt.mlp && dh) mlpResidualBackward(e, spec, layer, lt.mlp, dh, layerGrads);
          const dOut = dh ? attentionResidualBackward(e, spec, layer, lt.attention.out, lt.postAttentionNorm, dh, layerGrads) : undefined;
          dx = selfAttentionBackward(e, spec, layer, lt.x, lt.attention, batch, l, { dOut, probsGrad }, layerGrads, needDx);
        }
        if (!dx || !lt.attentionNorm) return dh;
        const dhNorm = normalizeBackward(e, spec, layer.attentionNorm, lt.attentionNorm, dx, layerGrads.attentionNorm);
        if (!dh) return dhNorm;
        accumulateInto(e, dh, dhNorm);
        return dh;
      });
    }
    if (model && dh) embedBackward(e, spec, weights, batch, dh, model);
    return loss;
  });
  tape.release();
  return { nextTokenLoss };
}

function checkUpstream(spec: ModelSpec, tape: Tape, upstream: Upstream, grads: TrainableGrads): void {
  if (tape.released) throw new Error('backward: this tape was already used (or released); run trainingForward again for each backward');
  if (grads.layers.length !== spec.numLayers) throw new Error(`backward: gradients for ${grads.layers.length} layers, the model has ${spec.numLayers}`);
  if (grads.model && !tape.throughEmbeddings) throw new Error("backward: gradients of every weight need a tape that reaches the embeddings; run trainingForward with throughEmbeddings: true");
  if (grads.model && tape.upTo === 'last-attention') throw new Error("backward: a 'last-attention' tape (ABFT) stops before the MLP and the head, so it cannot train every weight");
  const { probsGrad, logitsGrad } = upstream;
  if (tape.upTo === 'next-token') {
    if (logitsGrad) throw new Error("backward: a 'next-token' tape computes its own loss on the logits; give no logitsGrad");
    if (probsGrad && !tape.lossRows) throw new Error("backward: probsGrad given for a 'next-token' tape that recorded no attention; run trainingForward with attentionRows");
    if (!probsGrad) return;
  }
  if (tape.upTo === 'last-attention') {
    if (!probsGrad) throw new Error("backward: a 'last-attention' tape needs probsGrad, dL/dα of every layer");
    if (logitsGrad) throw new Error("backward: logitsGrad given for a 'last-attention' tape, which has no logits; run trainingForward with upTo 'logits'");
  }
  if (!probsGrad && !logitsGrad) throw new Error('backward: no upstream gradient; give probsGrad and/or logitsGrad');
  if (probsGrad) {
    if (probsGrad.length !== tape.layers.length) throw new Error(`backward: probsGrad has ${probsGrad.length} tensors, expected one per layer the forward ran (${tape.layers.length})`);
    const want = [tape.B, spec.numHeads, tape.lossRows?.shape[1] ?? 1, tape.T];
    probsGrad.forEach((g, l) => {
      if (g.dtype !== 'f32' || g.shape.join() !== want.join()) throw new Error(`backward: probsGrad[${l}] is ${g.dtype} [${g.shape}], expected f32 [${want}]`);
    });
  }
  if (logitsGrad && tape.logits && (logitsGrad.dtype !== 'f32' || logitsGrad.shape.join() !== tape.logits.shape.join())) {
    throw new Error(`backward: logitsGrad is ${logitsGrad.dtype} [${logitsGrad.shape}], expected f32 [${tape.logits.shape}] like the logits`);
  }
}
