/**
 * Whole-tensor reductions (mean loss, gradient norm) and gradient clipping by that norm. The device
 * versions need a scratch tensor of {@linkcode reduceScratchSize} elements; these twins ignore it.
 * @module
 */
import type { Floats } from "./types.ts";

/** Workgroup size of the device reductions. */
export const REDUCE_WORKGROUP = 256;
/** Most per-workgroup partials the device's first pass writes (the second pass sums them in one workgroup). */
export const REDUCE_MAX_PARTIALS = 4096;

/** Elements the scratch tensor of {@linkcode sumForward} / {@linkcode gradNorm} needs for `n` inputs. */
export function reduceScratchSize(n: number): number {
  return Math.max(1, Math.min(REDUCE_MAX_PARTIALS, Math.ceil(n / REDUCE_WORKGROUP)));
}

/** Sizes of a sum: `n` elements, times `scale`. */
export interface SumShape {
  /** Elements summed. */
  n: number;
  /** Multiplies the sum, e.g. 1 / count for a mean. */
  scale: number;
}

/** Sizes of a norm. */
export interface NormShape {
  /** Elements in the norm. */
  n: number;
}

/** Sizes and threshold of a gradient clip. */
export interface ClipShape {
  /** Elements scaled. */
  n: number;
  /** The largest global L2 norm allowed. */
  maxNorm: number;
}

/**
 * out[0] = scale * sum(inp[0..n)). Overwrites `out`; `scratch` is unused here (the device needs it).
 *
 * @example
 * ```ts
 * const out = new Float64Array(1);
 * sumForward(out, new Float64Array(1), Float64Array.of(1, 2, 3), { n: 3, scale: 0.5 }); // out[0] = 3
 * ```
 */
export function sumForward(out: Floats, _scratch: Floats, inp: Floats, { n, scale }: SumShape): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += inp[i]!;
  out[0] = scale * s;
}

/** out[0] = sqrt(sum(inp[0..n)^2)), the global L2 norm. Overwrites `out`; `scratch` is unused here. */
export function gradNorm(out: Floats, _scratch: Floats, inp: Floats, { n }: NormShape): void {
  let s = 0;
  for (let i = 0; i < n; i++) s += inp[i]! * inp[i]!;
  out[0] = Math.sqrt(s);
}

/**
 * PyTorch's clip_grad_norm_: with coef = maxNorm / (norm[0] + 1e-6), grads *= coef when coef < 1.
 * In place on `grads`; `norm` is the 1-element output of {@linkcode gradNorm}. A NaN norm leaves
 * `grads` unchanged (its NaN/inf gradients already show).
 */
export function clipGradients(grads: Floats, norm: Floats, { n, maxNorm }: ClipShape): void {
  const coef = maxNorm / (norm[0]! + 1e-6);
  if (!(coef < 1)) return;
  for (let i = 0; i < n; i++) grads[i] = grads[i]! * coef;
}
