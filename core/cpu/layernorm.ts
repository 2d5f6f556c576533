/**
 * LayerNorm over the last axis, as HF's BertLayerNorm: biased variance, eps inside the square root.
 * The forward caches each row's mean and 1/std for the backward (llm.c's layout).
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of a layer norm: `rows` vectors of `cols` features, normalized one row at a time. */
export interface LayerNormShape {
  /** Vectors normalized (e.g. tokens, B*T). */
  rows: number;
  /** Features per vector, the normalized axis (e.g. H). */
  cols: number;
}

/** Sizes of a layer norm forward, plus the epsilon added to the variance. */
export interface LayerNormOptions extends LayerNormShape {
  /** Added to the variance inside the square root (BERT: 1e-12). */
  eps: number;
}

/**
 * out[r, c] = (inp[r, c] - mean[r]) * rstd[r] * weight[c] + bias[c], with mean[r] the row's mean and
 * rstd[r] = 1 / sqrt(var[r] + eps) (biased variance). Overwrites `out`, `mean` and `rstd`.
 *
 * @example
 * ```ts
 * const out = new Float64Array(2), mean = new Float64Array(1), rstd = new Float64Array(1);
 * layerNormForward(out, mean, rstd, Float64Array.of(1, 3), Float64Array.of(1, 1), Float64Array.of(0, 0), {
 *   rows: 1, cols: 2, eps: 0,
 * }); // out = [-1, 1], mean = [2], rstd = [1]
 * ```
 */
export function layerNormForward(
  out: Floats,
  mean: Floats,
  rstd: Floats,
  inp: Floats,
  weight: Floats,
  bias: Floats,
  { rows, cols, eps }: LayerNormOptions,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let m = 0;
    for (let c = 0; c < cols; c++) m += inp[base + c]!;
    m /= cols;
    // Two passes: the variance from squared deviations, not E[x^2] - E[x]^2, which cancels.
    let v = 0;
    for (let c = 0; c < cols; c++) {
      const d = inp[base + c]! - m;
      v += d * d;
    }
    v /= cols;
    const s = 1 / Math.sqrt(v + eps);
    for (let c = 0; c < cols; c++) out[base + c] = (inp[base + c]! - m) * s * weight[c]! + bias[c]!;
    mean[r] = m;
    rstd[r] = s;
  }
}

/**
 * Gradients of {@linkcode layerNormForward} from its cached `mean` and `rstd`, accumulated into
 * `dinp`, `dweight` and `dbias`. With n = (x - mean) * rstd and g = weight * dout:
 * dinp += rstd * (g - mean_c(g) - n * mean_c(g * n)), dweight += sum_r n * dout, dbias += sum_r dout.
 */
export function layerNormBackward(
  dinp: Floats,
  dweight: Floats,
  dbias: Floats,
  dout: Floats,
  inp: Floats,
  weight: Floats,
  mean: Floats,
  rstd: Floats,
  { rows, cols }: LayerNormShape,
): void {
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    const m = mean[r]!;
    const s = rstd[r]!;
    let gMean = 0;
    let gnMean = 0;
    for (let c = 0; c < cols; c++) {
      const n = (inp[base + c]! - m) * s;
      const g = weight[c]! * dout[base + c]!;
      gMean += g;
      gnMean += g * n;
    }
    gMean /= cols;
    gnMean /= cols;
    for (let c = 0; c < cols; c++) {
      const n = (inp[base + c]! - m) * s;
      const d = dout[base + c]!;
      const g = weight[c]! * d;
      dinp[base + c] = dinp[base + c]! + (g - gMean - n * gnMean) * s;
      dweight[c] = dweight[c]! + n * d;
      dbias[c] = dbias[c]! + d;
    }
  }
}
