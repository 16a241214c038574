/**
 * Token sequences of different lengths packed into one [B, T] batch: ids, a key mask marking the real
 * tokens, and position ids that count real tokens only, so that a left-padded sequence sees the same
 * positions (RoPE angles, learned position rows) as it would alone.
 */
export interface TokenBatch {
  readonly B: number;
  readonly T: number;
  /** [B, T] token ids; padding slots hold the pad id. */
  readonly ids: Int32Array;
  /** [B, T] 1 for a real token, 0 for padding. */
  readonly keyMask: Uint32Array;
  /** [B, T] 0, 1, ... over each sequence's real tokens; 0 on padding (any valid row would do: padding is never attended to). */
  readonly positions: Int32Array;
  /** Real tokens per sequence. */
  readonly lengths: readonly number[];
}

export interface PackOptions {
  /** Where the padding goes: 'right' (default) or 'left' (the last real token then sits at T - 1 in every row). */
  readonly side?: 'right' | 'left';
  /** Longest sequence allowed, e.g. the model's maxPositions. */
  readonly maxLength?: number;
}

export function packBatch(sequences: readonly (readonly number[])[], padId: number, opts: PackOptions = {}): TokenBatch {
  const side = opts.side ?? 'right';
  if (sequences.length === 0) throw new Error('packBatch: no sequences given; a batch needs at least one');
  if (!Number.isInteger(padId)) throw new Error(`packBatch: pad id ${padId} is not an integer token id`);
  sequences.forEach((seq, i) => {
    if (seq.length === 0) throw new Error(`packBatch: sequence ${i} is empty (length 0); every sequence needs at least one token`);
    if (opts.maxLength !== undefined && seq.length > opts.maxLength) {
      throw new Error(`packBatch: sequence ${i} has ${seq.length} tokens, more than maxLength ${opts.maxLength}; shorten it`);
    }
  });
  const B = sequences.length;
  const lengths = sequences.map((s) => s.length);
  const T = Math.max(...lengths);
  const ids = new Int32Array(B * T).fill(padId);
  const keyMask = new Uint32Array(B * T);
  const positions = new Int32Array(B * T);
  sequences.forEach((seq, b) => {
    const start = b * T + (side === 'left' ? T - seq.length : 0);
    seq.forEach((id, p) => {
      ids[start + p] = id;
      keyMask[start + p] = 1;
      positions[start + p] = p;
    });
  });
  return { B, T, ids, keyMask, positions, lengths };
}

/** [B]: the position in the batch of each sequence's last real token (ABFT's query row). */
export function lastTokenRows(batch: TokenBatch): Int32Array {
  const rows = new Int32Array(batch.B);
  for (let b = 0; b < batch.B; b++) {
    let t = batch.T - 1;
    while (t > 0 && !batch.keyMask[b * batch.T + t]) t--;
    rows[b] = t;
  }
  return rows;
}
