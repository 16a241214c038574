/**
 * The token embedding (and the LM head, the same matrix when tied) as vocabulary chunks, each a
 * [rows, C] buffer within the adapter's storage-binding limit. GPT-2's 50257 × 768 f32 embedding is
 * 147 MiB, over the 128 MiB that browsers and lavapipe allow in one binding; split in two it loads.
 * Every use goes through this module, which keeps the result exact (a gather reads one row from
 * one chunk; a logit is one row's dot product; its backward sums the chunks' products into dx).
 */
import type { Engine } from '../engine/engine';
import { copyColumns } from '../engine/ops/columns';
import { embedding } from '../engine/ops/embedding';
import { matmul } from '../engine/ops/matmul';
import type { Tensor } from '../engine/tensor';
import { maxTensorBytes, type BufferLimits } from './memory';

export interface VocabularyTable {
  readonly vocabSize: number;
  readonly hidden: number;
  /** Rows per chunk; the last chunk holds the rest. */
  readonly chunkRows: number;
  /** [min(chunkRows, V - i * chunkRows), C] f32 each; chunk i holds ids [i * chunkRows, ...). */
  readonly chunks: readonly Tensor[];
}

/** The most rows of `hidden` f32 values one buffer of this adapter holds. */
export function maxChunkRows(hidden: number, limits: BufferLimits): number {
  const rows = Math.floor(maxTensorBytes(limits) / (hidden * 4));
  if (rows < 1) throw new Error(`A row of ${hidden} f32 values does not fit one buffer of this GPU (${maxTensorBytes(limits)} bytes at most)`);
  return rows;
}

export function chunkCount(vocabSize: number, chunkRows: number): number {
  return Math.ceil(vocabSize / chunkRows);
}

/** Uploads values [V, C] (row-major) as chunks of `chunkRows` rows (persistent buffers, like every weight). */
export function uploadVocabularyTable(e: Engine, values: Float32Array, vocabSize: number, hidden: number, chunkRows: number): VocabularyTable {
  if (values.length !== vocabSize * hidden) throw new Error(`uploadVocabularyTable: ${values.length} values for [${vocabSize}, ${hidden}]`);
  if (!Number.isInteger(chunkRows) || chunkRows < 1) throw new Error(`uploadVocabularyTable: chunkRows = ${chunkRows}, expected a positive integer`);
  const chunks: Tensor[] = [];
  for (let first = 0; first < vocabSize; first += chunkRows) {
    const rows = Math.min(chunkRows, vocabSize - first);
    chunks.push(e.upload(values.subarray(first * hidden, (first + rows) * hidden), [rows, hidden], 'f32', { persistent: true }));
  }
  return { vocabSize, hidden, chunkRows, chunks };
}

/**
 * The whole [V, C] matrix, row-major, read back chunk by chunk: the one accessor for code that needs
 * the embedding's values (exporters, tests).
 */
export async function readVocabularyTable(e: Engine, table: VocabularyTable): Promise<Float32Array> {
  const out = new Float32Array(table.vocabSize * table.hidden);
  for (let i = 0; i < table.chunks.length; i++) {
    out.set(await e.read(table.chunks[i] as Tensor<'f32'>), i * table.chunkRows * table.hidden);
  }
  return out;
}

export function releaseVocabularyTable(table: VocabularyTable): void {
  for (const c of table.chunks) c.release();
}

/** Rows of the table for ids (i32, any shape) -> [...ids.shape, C]; an id outside [0, V) gives a zero row. */
export function gatherVocabularyRows(e: Engine, table: VocabularyTable, ids: Tensor, scale?: number): Tensor {
  const [first, ...rest] = table.chunks;
  const y = embedding(e, first, ids, { scale });
  rest.forEach((chunk, i) => embedding(e, chunk, ids, { firstRow: (i + 1) * table.chunkRows, out: y, scale }));
  return y;
}

/** x [N, C] · tableᵀ -> [N, V]: logits over the whole vocabulary, one matmul per chunk. */
export function vocabularyLogits(e: Engine, x: Tensor, table: VocabularyTable): Tensor {
  if (table.chunks.length === 1) return matmul(e, x, table.chunks[0], { transB: true });
  const N = x.shape[0];
  const logits = e.empty([N, table.vocabSize]);
  table.chunks.forEach((chunk, i) => {
    const part = matmul(e, x, chunk, { transB: true });
    copyColumns(e, part, logits, { srcFirst: 0, dstFirst: i * table.chunkRows, width: chunk.shape[0] });
    part.release();
  });
  return logits;
}

/** dx [N, C] = dLogits [N, V] · table: the backward of `vocabularyLogits` to its input (the table is frozen). */
export function vocabularyLogitsBackward(e: Engine, dLogits: Tensor, table: VocabularyTable): Tensor {
  if (table.chunks.length === 1) return matmul(e, dLogits, table.chunks[0]);
  const N = dLogits.shape[0];
  let dx: Tensor | undefined;
  table.chunks.forEach((chunk, i) => {
    const rows = chunk.shape[0];
    const part = e.empty([N, rows]);
    copyColumns(e, dLogits, part, { srcFirst: i * table.chunkRows, dstFirst: 0, width: rows });
    dx = matmul(e, part, chunk, { out: dx, accumulate: dx !== undefined });
    part.release();
  });
  return dx!;
}

/**
 * dTable += dLogits [N, V]ᵀ · x [N, C], into `into` (one gradient per chunk, shaped like it): the
 * weight gradient of `vocabularyLogits` when the table is trained. Each chunk takes its own columns
 * of dLogits, so a split vocabulary gives the whole table's gradient, chunk by chunk.
 */
export function vocabularyLogitsWeightGrad(e: Engine, x: Tensor, table: VocabularyTable, dLogits: Tensor, into: readonly Tensor[]): void {
  if (into.length !== table.chunks.length) throw new Error(`vocabularyLogitsWeightGrad: ${into.length} gradients for ${table.chunks.length} chunks`);
  if (table.chunks.length === 1) {
    matmul(e, dLogits, x, { transA: true, out: into[0], accumulate: true });
    return;
  }
  const N = dLogits.shape[0];
  table.chunks.forEach((chunk, i) => {
    const rows = chunk.shape[0];
    const part = e.empty([N, rows]);
    copyColumns(e, dLogits, part, { srcFirst: i * table.chunkRows, dstFirst: 0, width: rows });
    matmul(e, part, x, { transA: true, out: into[i], accumulate: true });
    part.release();
  });
}
