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
  const { decay, stepSize, invSqrtBc2 } = adamwScalars("adamw_update", o);
  const { n, beta1, beta2, eps } = o;
  for (const [name, t] of [["params", params], ["grads", grads], ["m", m], ["v", v]] as const) {
    if (t.length < n) {
      throw new RangeError(`Kernel "adamw_update": "${name}" holds ${t.length} elements, needs ${n}`);
    }
  }
  for (let i = 0; i < n; i++) {
    const g = grads[i]!;
    const mi = beta1 * m[i]! + (1 - beta1) * g;
    const vi = beta2 * v[i]! + (1 - beta2) * g * g;
    m[i] = mi;
    v[i] = vi;
    params[i] = params[i]! * decay - stepSize * mi / (Math.sqrt(vi) * invSqrtBc2 + eps);
  }
}
