/**
 * Squared error for regression heads (STS-B): one prediction per row.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of a squared-error loss. */
export interface MseShape {
  /** Number of rows (one prediction and one target each). */
  rows: number;
}

/** Sizes and the gradient scale of a squared-error backward. */
export interface MseBackwardShape extends MseShape {
  /** Multiplies every gradient, e.g. 1 / rows for a mean loss. */
  scale: number;
}

/** losses[r] = (preds[r] - targets[r])^2. Overwrites `losses`. */
export function mseForward(losses: Floats, preds: Floats, targets: Floats, { rows }: MseShape): void {
  for (let r = 0; r < rows; r++) {
    const d = preds[r]! - targets[r]!;
    losses[r] = d * d;
  }
}

/** dpreds[r] += scale * 2 * (preds[r] - targets[r]). Accumulates into `dpreds`. */
export function mseBackward(
  dpreds: Floats,
  preds: Floats,
  targets: Floats,
  { rows, scale }: MseBackwardShape,
): void {
  for (let r = 0; r < rows; r++) dpreds[r] = dpreds[r]! + scale * 2 * (preds[r]! - targets[r]!);
}
