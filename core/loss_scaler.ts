/**
 * Dynamic loss scaling for `--precision mixed`, PyTorch's GradScaler: the loss gradient is
 * multiplied by `scale` so that small gradients survive f16; a step whose gradients overflow
 * (a non-finite norm) is skipped and the scale halved; after `growthInterval` good steps in a row
 * it doubles.
 *
 * @example
 * ```ts
 * import { LossScaler } from "./loss_scaler.ts";
 *
 * const scaler = new LossScaler();
 * scaler.update(false); // false: skip this step; the scale is now 32768
 * scaler.update(true); // true: apply it, divided by scaler.scale
 * ```
 * @module
 */

/** GradScaler's settings; the defaults are PyTorch's. */
export interface LossScalerOptions {
  /** The first scale (2^16). */
  initScale: number;
  /** Multiplies the scale after `growthInterval` good steps (2). */
  growthFactor: number;
  /** Multiplies the scale after an overflow (0.5). */
  backoffFactor: number;
  /** Good steps in a row before the scale grows (2000). */
  growthInterval: number;
}

/** What a checkpoint keeps of the scaler, as GradScaler's state_dict does. */
export interface LossScalerState {
  /** The current scale. */
  scale: number;
  /** Good steps since the last change of scale. */
  goodSteps: number;
}

/** PyTorch's defaults. */
export const DEFAULT_LOSS_SCALER: LossScalerOptions = {
  initScale: 2 ** 16,
  growthFactor: 2,
  backoffFactor: 0.5,
  growthInterval: 2000,
};

// Below this every gradient of a working model is far under f16's smallest normal: overflow at
// such a scale means the gradients are not finite in f32 either, and halving further would only
// skip steps silently.
const SMALLEST_SCALE = 2 ** -24;

/** The scale and its update rule; see the module doc. */
export class LossScaler {
  #scale: number;
  #goodSteps: number;
  readonly #o: LossScalerOptions;

  /** Starts at `options.initScale`, or continues from a saved `state`. */
  constructor(state: LossScalerState | null = null, options: Partial<LossScalerOptions> = {}) {
    this.#o = { ...DEFAULT_LOSS_SCALER, ...options };
    this.#scale = state?.scale ?? this.#o.initScale;
    this.#goodSteps = state?.goodSteps ?? 0;
    if (!(this.#scale > 0 && Number.isFinite(this.#scale))) {
      throw new RangeError(`Loss scale must be a positive finite number, got ${this.#scale}`);
    }
    if (!Number.isInteger(this.#goodSteps) || this.#goodSteps < 0) {
      throw new RangeError(`Loss scaler: good steps must be a non-negative integer, got ${this.#goodSteps}`);
    }
  }

  /** The factor the loss gradient is multiplied by now. */
  get scale(): number {
    return this.#scale;
  }

  /**
   * Records whether this step's gradients were finite; returns whether to apply the step.
   * @throws {Error} when the scale has fallen below 2^-24: the gradients overflow at any scale.
   */
  update(finite: boolean): boolean {
    if (finite) {
      if (++this.#goodSteps >= this.#o.growthInterval) {
        this.#scale *= this.#o.growthFactor;
        this.#goodSteps = 0;
      }
      return true;
    }
    this.#scale *= this.#o.backoffFactor;
    this.#goodSteps = 0;
    if (this.#scale < SMALLEST_SCALE) {
      throw new Error(
        `Gradients are not finite even at loss scale ${this.#scale}: training diverged (try a lower --lr)`,
      );
    }
    return false;
  }

  /** The state to save. */
  state(): LossScalerState {
    return { scale: this.#scale, goodSteps: this.#goodSteps };
  }
}
