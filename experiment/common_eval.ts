/**
 * Every arm measured on the same text: the masked-LM loss and accuracy of a checkpoint on a token
 * shard (the experiment's held-out documents, or their concept-dense part), with `bert` masks fixed
 * by one seed, so every arm predicts exactly the same positions. Kept per batch of
 * {@linkcode COMMON_MICRO_BATCH} sequences: the units a paired bootstrap resamples.
 * @module
 */
import { BertMlm } from "../core/bert/model.ts";
import { bertShape } from "../core/bert/shape.ts";
import { loadBertDir } from "../core/checkpoint/bert_dir.ts";
import { Gpu } from "../core/device.ts";
import type { BackendName } from "../core/device.ts";
import { cpuOps, gpuOps, type Ops } from "../core/ops.ts";
import { loadVocab } from "../data/vocab.ts";
import { type BatchEvaluation, pooledEvaluation, Validation } from "../pretrain/evaluate.ts";

/** Sequences per evaluation batch: small, so that a few hundred sequences give many bootstrap units. */
export const COMMON_MICRO_BATCH = 8;

/** The one seed of the common masks. */
const COMMON_MASK_SEED = 1;

/** A checkpoint's loss and accuracy on one shard. */
export interface CommonEvaluation {
  /** Masked-LM cross-entropy, mean over predictions (nats). */
  loss: number;
  /** Share of predictions whose top id is the label. */
  accuracy: number;
  /** Predictions scored. */
  predictions: number;
  /** Per batch of {@linkcode COMMON_MICRO_BATCH} sequences, in shard order. */
  batches: BatchEvaluation[];
}

/** What {@linkcode evaluateCommon} reads and where it runs. */
export interface CommonEvalOptions {
  /** Most sequences read from the start of the shard. */
  maxSequences: number;
  /** Most predictions per sequence (the masks' cap). */
  maxPredictions: number;
  /** An open device; else `backend` opens one (or `cpu`). */
  gpu?: Gpu;
  /** Used when no `gpu` is given. */
  backend: BackendName;
}

/**
 * The loss and accuracy of the masked-LM in `modelDir` on `shard`.
 *
 * @throws {Error} naming the directory or shard that cannot be read
 */
export async function evaluateCommon(
  modelDir: string,
  shard: string,
  options: CommonEvalOptions,
): Promise<CommonEvaluation> {
  const { config, params } = await loadBertDir(modelDir, { head: "mlm" });
  const vocab = await loadVocab(`${modelDir}/vocab.txt`);
  const gpu = options.gpu ??
    (options.backend === "cpu" ? null : await Gpu.open({ backend: options.backend }));
  try {
    const run = async <T>(ops: Ops<T>) => {
      const validation = await Validation.open(shard, {
        microBatch: COMMON_MICRO_BATCH,
        maxBatches: Math.max(1, Math.floor(options.maxSequences / COMMON_MICRO_BATCH)),
        seed: COMMON_MASK_SEED,
        vocab,
        maxPredictions: options.maxPredictions,
      });
      const seq = validation.batches[0]!.ids.length / COMMON_MICRO_BATCH;
      const model = new BertMlm(ops, bertShape(config), {
        batch: COMMON_MICRO_BATCH,
        seq,
        predictions: COMMON_MICRO_BATCH * options.maxPredictions,
      });
      ops.write(model.params, params);
      return await validation.evaluateBatches(ops, model);
    };
    const batches = gpu ? await run(gpuOps(gpu)) : await run(cpuOps());
    return { ...pooledEvaluation(batches), batches };
  } finally {
    if (gpu && !options.gpu) gpu.destroy();
  }
}
