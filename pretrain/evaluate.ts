/**
 * Validation: masked-LM loss and accuracy on the held-out shard, dropout off. The masks are always
 * `bert`'s, keyed by a fixed step, whatever the run trains with, so every run on the same data
 * (every arm of an experiment) is measured on the same predictions.
 * @module
 */
import type { BertMlm } from "../core/bert/model.ts";
import type { Ops } from "../core/ops.ts";
import { ShardReader } from "../data/shards.ts";
import { maskBatch } from "../masking/batch.ts";
import { bertMasker } from "../masking/bert.ts";
import type { MaskingVocab } from "../masking/types.ts";

/** The validation masks' step key: far from any training step. */
const EVAL_STEP = 0x7fff_ffff;

/** What an evaluation measured. */
export interface Evaluation {
  /** Masked-LM cross-entropy, mean over the predictions (nats). */
  loss: number;
  /** Share of the predictions whose top id is the label, in [0, 1]. */
  accuracy: number;
  /** Predictions scored. */
  predictions: number;
  /** Micro-batches evaluated. */
  batches: number;
}

/** The first `maxBatches` micro-batches of the validation shard, masked once, kept on the host. */
export class Validation {
  /** The masked micro-batches, in order; the same at every evaluation. */
  readonly batches: ReturnType<typeof maskBatch>[];

  private constructor(batches: ReturnType<typeof maskBatch>[]) {
    this.batches = batches;
  }

  /** Reads and masks the batches; a shard smaller than one batch is cycled to fill it. */
  static async open(
    path: string,
    options: {
      microBatch: number;
      maxBatches: number;
      seed: number;
      vocab: MaskingVocab;
      maxPredictions: number;
    },
  ): Promise<Validation> {
    const reader = await ShardReader.open(path);
    try {
      const { sequences, seqLen } = reader.header;
      if (sequences === 0) throw new Error(`Cannot validate: ${path} holds no sequences`);
      const count = Math.max(1, Math.min(options.maxBatches, Math.floor(sequences / options.microBatch)));
      // Only what the batches use is read: a validation shard of a large corpus stays on disk.
      const used = Math.min(sequences, count * options.microBatch);
      const all = await reader.read(0, used);
      const masker = bertMasker({ vocab: options.vocab, maxPredictions: options.maxPredictions });
      const batches = [];
      for (let b = 0; b < count; b++) {
        const seqs = Array.from({ length: options.microBatch }, (_, j) => {
          const k = (b * options.microBatch + j) % used;
          return Int32Array.from(all.subarray(k * seqLen, (k + 1) * seqLen));
        });
        batches.push(
          maskBatch(masker, seqs, {
            seed: options.seed,
            step: EVAL_STEP,
            firstSequence: b * options.microBatch,
          }),
        );
      }
      return new Validation(batches);
    } finally {
      reader.close();
    }
  }

  /** Mean loss and accuracy over every validation prediction. */
  async evaluate<T>(ops: Ops<T>, model: BertMlm<T>): Promise<Evaluation> {
    return { ...pooledEvaluation(await this.evaluateBatches(ops, model)), batches: this.batches.length };
  }

  /** Each batch's summed loss, correct predictions and predictions: the units a paired bootstrap resamples. */
  async evaluateBatches<T>(ops: Ops<T>, model: BertMlm<T>): Promise<BatchEvaluation[]> {
    const out: BatchEvaluation[] = [];
    for (const batch of this.batches) {
      model.setBatch(batch);
      const result = model.forward(0, false);
      const [loss, right] = [(await ops.read(result.loss))[0]!, (await ops.read(result.correct))[0]!];
      out.push({ loss_sum: loss * batch.predicted, correct: right, predictions: batch.predicted });
    }
    return out;
  }
}

/** One validation batch's sums. */
export interface BatchEvaluation {
  /** Cross-entropy summed over the batch's predictions (nats). */
  loss_sum: number;
  /** Predictions whose top id is the label. */
  correct: number;
  /** Predictions. */
  predictions: number;
}

/** Mean loss and accuracy over the predictions of every batch. */
export function pooledEvaluation(
  batches: readonly BatchEvaluation[],
): { loss: number; accuracy: number; predictions: number } {
  let lossSum = 0, correct = 0, predictions = 0;
  for (const b of batches) {
    lossSum += b.loss_sum;
    correct += b.correct;
    predictions += b.predictions;
  }
  return {
    loss: lossSum / Math.max(1, predictions),
    accuracy: correct / Math.max(1, predictions),
    predictions,
  };
}
