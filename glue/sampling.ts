/**
 * Seeded choices of the fine-tuning loop: the capped training sample (`--max-train-examples`) and
 * the order of training examples, one permutation per epoch. Everything is a function of the seed,
 * through the project's counter-based streams (`util/rng.ts`), so a run is reproducible on any
 * backend.
 *
 * @example
 * ```ts
 * import { epochPermutation, seededSample } from "./sampling.ts";
 *
 * seededSample(10, 3, 0); // 3 distinct rows of 0..9, in increasing order
 * epochPermutation(5, 1, 0); // a permutation of 0..4, the same for every call with seed 1, epoch 0
 * ```
 * @module
 */
import { keyedRng } from "../util/rng.ts";

// Keys of the two streams, so the training sample and the epoch orders of one seed are unrelated.
const SAMPLE_STREAM = 0x5a3e;
const EPOCH_STREAM = 0xe90c;

/**
 * `k` distinct rows of 0..n-1 drawn uniformly with `seed` (a partial Fisher-Yates shuffle),
 * returned in increasing order so the sample keeps the file's order. `k >= n` returns every row.
 *
 * @example
 * ```ts
 * import { seededSample } from "./sampling.ts";
 * seededSample(4, 10, 7); // Int32Array [0, 1, 2, 3]
 * ```
 */
export function seededSample(n: number, k: number, seed: number): Int32Array {
  if (!Number.isInteger(n) || n < 0 || !Number.isInteger(k) || k < 0) {
    throw new RangeError(`Cannot sample ${k} of ${n} rows: expected non-negative integers`);
  }
  if (k >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const rows = Int32Array.from({ length: n }, (_, i) => i);
  const rng = keyedRng([SAMPLE_STREAM, seed]);
  for (let i = 0; i < k; i++) {
    const j = i + rng.below(n - i);
    [rows[i], rows[j]] = [rows[j]!, rows[i]!];
  }
  return rows.subarray(0, k).sort();
}

/**
 * The order of `n` training examples in `epoch` (0-based) of a run with `seed`: a Fisher-Yates
 * shuffle of 0..n-1.
 */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  return keyedRng([EPOCH_STREAM, seed, epoch]).shuffle(Int32Array.from({ length: n }, (_, i) => i));
}

/**
 * The training stream: the epochs' permutations one after the other, cut into batches of
 * `batch`. Step `s` (0-based) takes stream positions `s * batch` to `(s + 1) * batch - 1`, so a
 * batch that straddles two epochs ends one epoch and starts the next, and every batch is full
 * (no padded rows whose loss would need masking). A run of `epochs` epochs takes
 * `ceil(epochs * n / batch)` steps (see {@linkcode trainingSteps}).
 *
 * @example
 * ```ts
 * import { TrainingOrder } from "./sampling.ts";
 * const order = new TrainingOrder(5, 2, 1);
 * order.batch(0); order.batch(1); order.batch(2); // [a, b] [c, d] [e, a'] (a' from epoch 1)
 * ```
 */
export class TrainingOrder {
  /** Training examples: one epoch. */
  readonly n: number;
  /** Examples per step. */
  readonly batchSize: number;
  /** Seeds each epoch's permutation. */
  readonly seed: number;
  readonly #epochs = new Map<number, Int32Array>();

  /** The stream over `n` examples in batches of `batchSize`; RangeError unless both are positive integers. */
  constructor(n: number, batchSize: number, seed: number) {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`Cannot order ${n} training examples`);
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Invalid batch size ${batchSize}`);
    }
    this.n = n;
    this.batchSize = batchSize;
    this.seed = seed;
  }

  /** The example rows of step `step` (0-based). */
  batch(step: number): Int32Array {
    const out = new Int32Array(this.batchSize);
    for (let i = 0; i < this.batchSize; i++) {
      const position = step * this.batchSize + i;
      const epoch = Math.floor(position / this.n);
      out[i] = this.#permutation(epoch)[position - epoch * this.n]!;
    }
    return out;
  }

  /** The epoch (fractional, from 0) reached after `steps` steps. */
  epochAt(steps: number): number {
    return (steps * this.batchSize) / this.n;
  }

  #permutation(epoch: number): Int32Array {
    let p = this.#epochs.get(epoch);
    if (!p) {
      p = epochPermutation(this.n, this.seed, epoch);
      // Only the current and the next epoch are ever needed.
      for (const e of this.#epochs.keys()) if (e < epoch - 1) this.#epochs.delete(e);
      this.#epochs.set(epoch, p);
    }
    return p;
  }
}

/** Steps of a run over `n` examples for `epochs` epochs in batches of `batch`: ceil(epochs * n / batch). */
export function trainingSteps(n: number, epochs: number, batch: number): number {
  return Math.max(1, Math.ceil((epochs * n) / batch - 1e-9));
}
