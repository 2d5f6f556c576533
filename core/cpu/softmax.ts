/**
 * Softmax over the last axis with an additive mask: BERT's attention probabilities.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of an attention softmax over [batch, heads, rows, cols] scores, and the scale of the scores. */
export interface SoftmaxOptions {
  /** Sequences; the mask has one row per sequence. */
  batch: number;
  /** Attention heads, sharing their sequence's mask row. */
  heads: number;
  /** Query positions. */
  rows: number;
  /** Key positions: the axis normalized over, and the mask's second axis. */
  cols: number;
  /** Multiplies the scores before the mask is added (1 / sqrt(head size) in BERT). */
  scale: number;
}

/** The most negative f32; logits below it (a -Infinity mask) are clamped to it, as PyTorch's finfo.min. */
export const MASK_MIN: number = -3.4028234663852886e38;

/**
 * out[b, h, i, j] = softmax_j(scale * inp[b, h, i, j] + mask[b, j]). `mask` is additive, [batch, cols]
 * (0 keeps, a large negative such as -10000 or {@linkcode MASK_MIN} drops); null means no mask. A row
 * whose every logit is {@linkcode MASK_MIN} comes out uniform, not NaN. Overwrites `out`.
 *
 * @example
 * ```ts
 * const out = new Float64Array(2);
 * const opts = { batch: 1, heads: 1, rows: 1, cols: 2, scale: 1 };
 * softmaxForward(out, Float64Array.of(0, 0), Float64Array.of(0, -10000), opts); // out = [1, 0]
 * ```
 */
export function softmaxForward(
  out: Floats,
  inp: Floats,
  mask: Floats | null,
  { batch, heads, rows, cols, scale }: SoftmaxOptions,
): void {
  const logits = new Float64Array(cols);
  for (let b = 0; b < batch; b++) {
    for (let r = 0; r < heads * rows; r++) {
      const base = (b * heads * rows + r) * cols;
      let max = MASK_MIN;
      for (let j = 0; j < cols; j++) {
        const v = Math.max(scale * inp[base + j]! + (mask ? mask[b * cols + j]! : 0), MASK_MIN);
        logits[j] = v;
        max = Math.max(max, v);
      }
      // Subtracting the max keeps exp in range; a fully masked row has every logit equal to it.
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        logits[j] = Math.exp(logits[j]! - max);
        sum += logits[j]!;
      }
      for (let j = 0; j < cols; j++) out[base + j] = logits[j]! / sum;
    }
  }
}

/**
 * Gradient of {@linkcode softmaxForward} with respect to its (pre-scale) input, from its output:
 * dinp[.., j] += scale * out[.., j] * (dout[.., j] - sum_k dout[.., k] * out[.., k]). Accumulates.
 */
export function softmaxBackward(
  dinp: Floats,
  out: Floats,
  dout: Floats,
  { batch, heads, rows, cols, scale }: SoftmaxOptions,
): void {
  for (let r = 0; r < batch * heads * rows; r++) {
    const base = r * cols;
    let dot = 0;
    for (let j = 0; j < cols; j++) dot += dout[base + j]! * out[base + j]!;
    for (let j = 0; j < cols; j++) {
      dinp[base + j] = dinp[base + j]! + scale * out[base + j]! * (dout[base + j]! - dot);
    }
  }
}
