/**
 * Does a micro-batch fit the adapter? WebGPU reports no memory size, but it does bound each buffer
 * (`maxBufferSize`) and each binding (`maxStorageBufferBindingSize`). The flat parameter, gradient
 * and moment buffers are bound in chunks, so only their buffer size counts; every activation is
 * bound whole. The step is sized on a counting backend (no device work), and when it does not fit,
 * the largest micro-batch that would is found by bisection.
 * @module
 */
import { countingOps } from "../core/counting_ops.ts";
import { BertMlm, type BertShape, type HostBatch } from "../core/bert/model.ts";
import { MlmTrainer } from "../core/bert/trainer.ts";

/** The two limits that matter, in bytes. */
export interface FitLimits {
  /** Largest buffer the adapter allocates (`GPUSupportedLimits.maxBufferSize`). */
  maxBufferSize: number;
  /** Largest storage binding (`GPUSupportedLimits.maxStorageBufferBindingSize`). */
  maxStorageBufferBindingSize: number;
}

/** Why a micro-batch does not fit, or null when it does. */
export async function misfit(
  shape: BertShape,
  micro: { batch: number; seq: number; predictions: number },
  limits: FitLimits,
): Promise<string | null> {
  const { ops, sizes } = countingOps();
  const model = new BertMlm(ops, shape, micro);
  const trainer = new MlmTrainer(ops, model);
  const n = micro.batch * micro.seq;
  const host: HostBatch = {
    ids: new Int32Array(n),
    typeIds: new Int32Array(n),
    attentionMask: new Int32Array(n).fill(1),
    positions: Int32Array.from({ length: micro.predictions }, (_, i) => i),
    labels: new Int32Array(micro.predictions),
  };
  await trainer.trainStep(host, 1e-4);
  const state = model.layout.size * 4;
  if (state > limits.maxBufferSize) {
    return `its ${mib(state)} parameter buffer exceeds maxBufferSize ${mib(limits.maxBufferSize)}`;
  }
  const largest = Math.max(0, ...sizes().filter((s) => s !== state));
  if (largest > limits.maxStorageBufferBindingSize) {
    return `an activation of ${mib(largest)} exceeds maxStorageBufferBindingSize ${
      mib(limits.maxStorageBufferBindingSize)
    }`;
  }
  return null;
}

/** The largest micro-batch up to `batch` that fits (0 if none), by bisection on {@linkcode misfit}. */
export async function largestFittingBatch(
  shape: BertShape,
  batch: number,
  seq: number,
  predictionsPerSequence: number,
  limits: FitLimits,
): Promise<number> {
  const fits = async (b: number) =>
    (await misfit(shape, { batch: b, seq, predictions: b * predictionsPerSequence }, limits)) === null;
  let lo = 0, hi = batch;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (await fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}
