/**
 * AdamW with torch.optim.AdamW semantics (decoupled weight decay, bias-corrected moments).
 * @module
 */
import type { Floats } from "./types.ts";

/** Hyperparameters of one AdamW step over `n` parameters. */
export interface AdamWOptions {
  /** Number of parameters (and gradients and moments) updated. */
  n: number;
  /** Learning rate of this step. */
  lr: number;
  /** Decay rate of the first-moment average `m`. */
  beta1: number;
  /** Decay rate of the second-moment average `v`. */
  beta2: number;
  /** Added to sqrt(v) / sqrt(1 - beta2^step) in the denominator. */
  eps: number;
  /**
   * Decoupled weight decay. Tensors that must not decay (biases, LayerNorm gains and shifts) are
   * updated by a separate call over their range with weightDecay = 0.
   */
  weightDecay: number;
  /** 1-based step number (the bias corrections use it). */
  step: number;
}

/** The per-step scalars both implementations use, derived in float64 on the host. */
export interface AdamWScalars {
  /** 1 - lr * weightDecay. */
  decay: number;
  /** lr / (1 - beta1^step). */
  stepSize: number;
  /** 1 / sqrt(1 - beta2^step). */
  invSqrtBc2: number;
}

/** Checks the options of `kernel` and derives the per-step scalars; throws a RangeError when bad. */
export function adamwScalars(kernel: string, o: AdamWOptions): AdamWScalars {
  if (!Number.isInteger(o.step) || o.step < 1) {
    throw new RangeError(`Kernel "${kernel}": step must be an integer >= 1 (1-based), got ${o.step}`);
  }
  if (!(o.beta1 >= 0 && o.beta1 < 1 && o.beta2 >= 0 && o.beta2 < 1)) {
    throw new RangeError(`Kernel "${kernel}": betas must lie in [0, 1), got ${o.beta1}, ${o.beta2}`);
  }
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  return { decay: 1 - o.lr * o.weightDecay, stepSize: o.lr / bc1, invSqrtBc2: 1 / Math.sqrt(bc2) };
}

/**
 * One AdamW step, in place on `params`, `m` and `v`: p *= 1 - lr*wd; m = b1*m + (1-b1)*g;
 * v = b2*v + (1-b2)*g^2; p -= (lr / bc1) * m / (sqrt(v) / sqrt(bc2) + eps), bc_i = 1 - b_i^step.
 *
 * @example
 * ```ts
 * const p = Float64Array.of(1), m = new Float64Array(1), v = new Float64Array(1);
 * const opts = { n: 1, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
 * adamwUpdate(p, Float64Array.of(0.5), m, v, opts); // p[0] ~ 0.9: a first step moves by lr
 * ```
 */
export function adamwUpdate(params: Floats, grads: Floats, m: Floats, v: Floats, o: AdamWOptions): void {
  const scalars = adamwScalars("adamw_update", o);
  checkLengths("adamw_update", { params, grads, m, v }, o.n);
  updateRange(params, grads, m, v, 0, o.n, 1, scalars.decay, scalars, o);
}

/** Options of {@linkcode adamwMulti}: one AdamW step over many tensors, with clipping and unscaling. */
export interface AdamWMultiOptions extends AdamWOptions {
  /** Global L2 norm the (unscaled) gradients are clipped to, as PyTorch's clip_grad_norm_. */
  maxNorm: number;
  /**
   * Multiplies every gradient before clipping (default 1): 1 / the loss scale of mixed-precision
   * training, whose gradients (and their norm) are stored scaled.
   */
  unscale?: number;
  /**
   * Index of element 0 of these tensors in the flat buffer the decay ranges refer to (default 0):
   * a chunk's start when a buffer larger than one binding is updated view by view.
   */
  offset?: number;
}

/**
 * The clip coefficient of {@linkcode adamwMulti}: min(1, maxNorm / (norm * unscale + 1e-6)), and 1
 * when that is NaN (a NaN norm leaves the gradients unchanged, as clipGradients does).
 */
export function clipCoefficient(norm: number, maxNorm: number, unscale: number): number {
  const coef = maxNorm / (norm * unscale + 1e-6);
  return coef < 1 ? coef : 1;
}

/**
 * The decay-range table of {@linkcode adamwMulti} for a parameter layout: the [start, end) element
 * ranges of the entries with `decay`, sorted, adjacent ones merged, flattened to [s0, e0, s1, e1, ...].
 * Never empty: a layout without decay gives the empty range [0, 0).
 *
 * @example
 * ```ts
 * const entries = [
 *   { offset: 0, size: 6, decay: true }, { offset: 6, size: 2, decay: true }, { offset: 64, size: 3, decay: false },
 * ];
 * decayRangeTable(entries); // Int32Array [0, 8]
 * ```
 */
export function decayRangeTable(
  entries: readonly { readonly offset: number; readonly size: number; readonly decay: boolean }[],
): Int32Array {
  const ranges = entries.filter((e) => e.decay && e.size > 0).map((e) => [e.offset, e.offset + e.size])
    .sort((a, b) => a[0]! - b[0]!);
  const merged: number[] = [];
  for (const [start, end] of ranges) {
    if (merged.length > 0 && start! < merged[merged.length - 1]!) {
      throw new RangeError(`Cannot build decay ranges: [${start}, ${end}) overlaps the range before it`);
    }
    if (merged.length > 0 && start === merged[merged.length - 1]) merged[merged.length - 1] = end!;
    else merged.push(start!, end!);
  }
  if (merged.length === 0) merged.push(0, 0);
  if (merged[merged.length - 1]! > 0x7fffffff) {
    throw new RangeError(`Cannot build decay ranges: ${merged[merged.length - 1]} elements exceed 2^31 - 1`);
  }
  return Int32Array.from(merged);
}

/**
 * One AdamW step over the `n` elements of many tensors laid out in flat buffers, in place on
 * `params`, `m` and `v`, with the gradient clipping folded in. Each gradient enters as
 * g * unscale * clip, clip = {@linkcode clipCoefficient}(norm[0], maxNorm, unscale), `norm` the
 * 1-element L2 norm of the stored gradients (gradNorm's output); `grads` is not modified. Weight decay
 * applies to the elements whose index `offset + i` lies in one of the sorted, disjoint [start, end)
 * pairs of `ranges` (see {@linkcode decayRangeTable}); elsewhere weightDecay is 0. Elements outside
 * the pairs, and the update formula, are those of {@linkcode adamwUpdate}.
 *
 * @example
 * ```ts
 * const p = Float64Array.of(1, 1), m = new Float64Array(2), v = new Float64Array(2);
 * const opts = { n: 2, lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.5, step: 1, maxNorm: 1 };
 * adamwMulti(p, Float64Array.of(3, 4), m, v, Float64Array.of(5), Int32Array.of(1, 2), opts);
 * // p[0] = 1 - 0.1 = 0.9 (no decay); p[1] = 0.95 - 0.1 (decayed by 1 - 0.1 * 0.5)
 * ```
 */
export function adamwMulti(
  params: Floats,
  grads: Floats,
  m: Floats,
  v: Floats,
  norm: Floats,
  ranges: ArrayLike<number>,
  o: AdamWMultiOptions,
): void {
  const scalars = adamwScalars("adamw_multi", o);
  const { n, unscale = 1, offset = 0 } = o;
  checkLengths("adamw_multi", { params, grads, m, v }, n);
  checkMultiOptions("adamw_multi", o, ranges.length, norm.length);
  const scale = unscale * clipCoefficient(norm[0]!, o.maxNorm, unscale);
  let i = 0; // next element to update, relative to `offset`
  for (let r = 0; r < ranges.length && i < n; r += 2) {
    const start = Math.min(n, Math.max(i, ranges[r]! - offset));
    const end = Math.min(n, Math.max(start, ranges[r + 1]! - offset));
    updateRange(params, grads, m, v, i, start, scale, 1, scalars, o);
    updateRange(params, grads, m, v, start, end, scale, scalars.decay, scalars, o);
    i = end;
  }
  updateRange(params, grads, m, v, i, n, scale, 1, scalars, o);
}

/** Checks the options {@linkcode adamwMulti} adds to AdamW's, and its range table; shared with the device. */
export function checkMultiOptions(
  kernel: string,
  o: AdamWMultiOptions,
  rangeElements: number,
  normElements: number,
): void {
  const { unscale = 1, offset = 0 } = o;
  if (normElements < 1) throw new RangeError(`Kernel "${kernel}": "norm" holds no element`);
  if (!(o.maxNorm > 0)) throw new RangeError(`Kernel "${kernel}": maxNorm must be > 0, got ${o.maxNorm}`);
  if (!(unscale > 0 && Number.isFinite(unscale))) {
    throw new RangeError(`Kernel "${kernel}": unscale must be finite and > 0, got ${unscale}`);
  }
  if (!Number.isInteger(offset) || offset < 0 || offset + o.n > 0xffffffff) {
    throw new RangeError(`Kernel "${kernel}": offset must be an integer in [0, 2^32 - n), got ${offset}`);
  }
  if (rangeElements < 2 || rangeElements % 2 !== 0) {
    throw new RangeError(
      `Kernel "${kernel}": "ranges" must hold [start, end) pairs, got ${rangeElements} elements`,
    );
  }
}

function checkLengths(kernel: string, tensors: Record<string, Floats>, n: number): void {
  for (const [name, t] of Object.entries(tensors)) {
    if (t.length < n) {
      throw new RangeError(`Kernel "${kernel}": "${name}" holds ${t.length} elements, needs ${n}`);
    }
  }
}

// The one AdamW formula of both twins, over elements [from, to): the gradient enters times `scale`,
// the parameter decays by `decay` (1 - lr * weightDecay, or 1 where there is no decay).
function updateRange(
  params: Floats,
  grads: Floats,
  m: Floats,
  v: Floats,
  from: number,
  to: number,
  scale: number,
  decay: number,
  { stepSize, invSqrtBc2 }: AdamWScalars,
  { beta1, beta2, eps }: AdamWOptions,
): void {
  for (let i = from; i < to; i++) {
    const g = grads[i]! * scale;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! * decay - stepSize * mi / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}
