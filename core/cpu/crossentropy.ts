/**
 * Cross-entropy over rows of logits: the masked-LM loss over gathered positions and the sequence
 * classification loss. A negative target (HF's ignore index, -100) skips its row.
 * @module
 */
import type { Floats, Ints } from "./types.ts";

/** Sizes of a cross-entropy: `rows` rows of `classes` logits each. */
export interface CrossEntropyShape {
  /** Number of rows (predictions). */
  rows: number;
  /** Number of classes (logits per row). */
  classes: number;
}

/** Sizes and the gradient scale of a cross-entropy backward. */
export interface CrossEntropyBackwardShape extends CrossEntropyShape {
  /** Multiplies every row's gradient, e.g. 1 / (number of valid rows) for a mean loss. */
  scale: number;
}

interface RowStats {
  max: number;
  /** First maximal index, like torch.argmax. */
  argmax: number;
  /** sum_c exp(logits[c] - max). */
  sumExp: number;
}

function rowStats(logits: Floats, base: number, classes: number): RowStats {
  let max = -Infinity;
  let argmax = 0;
  for (let c = 0; c < classes; c++) {
    const x = logits[base + c]!;
    if (x > max) {
      max = x;
      argmax = c;
    }
  }
  let sumExp = 0;
  for (let c = 0; c < classes; c++) sumExp += Math.exp(logits[base + c]! - max);
  return { max, argmax, sumExp };
}

// The device cannot throw, so it writes NaN for such a row instead; here the twin is strict.
function checkTarget(kernel: string, t: number, r: number, classes: number): void {
  if (t >= classes) {
    throw new RangeError(`Kernel "${kernel}": target ${t} of row ${r} is not below classes ${classes}`);
  }
}

/**
 * losses[r] = logsumexp(logits[r, :]) - logits[r, t] and correct[r] = 1 if argmax(logits[r]) == t
 * else 0, with t = targets[r]; rows with t < 0 get 0 and 0. Overwrites `losses` and `correct`.
 * Throws a RangeError for a target >= classes.
 *
 * @example
 * ```ts
 * const losses = new Float64Array(1), correct = new Float64Array(1);
 * crossEntropyForward(losses, correct, Float64Array.of(0, 0), Int32Array.of(1), { rows: 1, classes: 2 });
 * // losses[0] = ln 2, correct[0] = 0 (the first maximal index is 0)
 * ```
 */
export function crossEntropyForward(
  losses: Floats,
  correct: Floats,
  logits: Floats,
  targets: Ints,
  { rows, classes }: CrossEntropyShape,
): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) {
      losses[r] = 0;
      correct[r] = 0;
      continue;
    }
    checkTarget("crossentropy_forward", t, r, classes);
    const base = r * classes;
    const { max, argmax, sumExp } = rowStats(logits, base, classes);
    losses[r] = Math.log(sumExp) + max - logits[base + t]!;
    correct[r] = argmax === t ? 1 : 0;
  }
}

/**
 * dlogits[r, c] += scale * (softmax(logits[r])_c - [c == t]) for rows with t = targets[r] >= 0; ignored
 * rows add nothing. Accumulates into `dlogits`. Throws a RangeError for a target >= classes.
 */
export function crossEntropyBackward(
  dlogits: Floats,
  logits: Floats,
  targets: Ints,
  { rows, classes, scale }: CrossEntropyBackwardShape,
): void {
  for (let r = 0; r < rows; r++) {
    const t = targets[r]!;
    if (t < 0) continue;
    checkTarget("crossentropy_backward", t, r, classes);
    const base = r * classes;
    const { max, sumExp } = rowStats(logits, base, classes);
    for (let c = 0; c < classes; c++) {
      const p = Math.exp(logits[base + c]! - max) / sumExp;
      dlogits[base + c] = dlogits[base + c]! + scale * (p - (c === t ? 1 : 0));
    }
  }
}
