/**
 * The 2-layer masked-LM model and fixed batch that the trainer tests train: small enough for 300
 * steps in seconds, with a padded position and six labels.
 * @module
 */
import type { BatchShape, BertShape, HostBatch } from "../core/bert/model.ts";
import { randomInts } from "./_helpers.ts";

/** A 2-layer BERT of hidden size 32 over a 40-token vocabulary, with dropout. */
export const TINY_SHAPE: BertShape = {
  vocab: 40,
  hidden: 32,
  layers: 2,
  heads: 2,
  intermediate: 64,
  maxPositions: 16,
  typeVocab: 2,
  layerNormEps: 1e-12,
  hiddenDropout: 0.1,
  attentionDropout: 0.1,
};

/** Two sequences of 9 tokens, 6 predicted positions. */
export const TINY_BATCH: BatchShape = { batch: 2, seq: 9, predictions: 6 };

/** The same batch every call: seeded ids, the last position padded, six labelled positions. */
export function tinyBatch(): HostBatch {
  const n = TINY_BATCH.batch * TINY_BATCH.seq;
  return {
    ids: randomInts(n, 21, TINY_SHAPE.vocab),
    typeIds: new Int32Array(n),
    attentionMask: Int32Array.from({ length: n }, (_, i) => (i === n - 1 ? 0 : 1)),
    positions: Int32Array.of(0, 2, 5, 9, 12, 16),
    labels: Int32Array.of(7, 31, 2, 19, 25, 11),
  };
}
