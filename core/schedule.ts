/**
 * Learning-rate schedule: linear warm-up, then linear decay to 0, exactly as HuggingFace's
 * `get_linear_schedule_with_warmup` (a `LambdaLR`) and `TrainingArguments.get_warmup_steps`.
 *
 * Step numbering follows HF. `lr(step)` takes `step` = the number of optimizer updates already
 * made (LambdaLR's `last_epoch`, the lambda's `current_step`), so it is 0-based: the scheduler
 * starts at 0 and HF's loop calls `optimizer.step()` before `scheduler.step()`, hence the k-th
 * update (k = 1, 2, ...) uses `lr(k - 1)`. With warm-up, the first update therefore uses lr 0,
 * as in HF. (HF's Trainer logs `get_last_lr()` after `scheduler.step()`: its "learning_rate" at
 * global step k is `lr(k)`, the rate for the next update, not the one just applied.)
 *
 * @example
 * ```ts
 * import { linearWarmupSchedule } from "./schedule.ts";
 * const s = linearWarmupSchedule({ baseLr: 5e-5, totalSteps: 1000, warmupRatio: 0.06 });
 * s.warmupSteps; // 60
 * s.lr(0); // 0: the first update
 * s.lr(30); // 2.5e-5
 * s.lr(60); // 5e-5: the peak
 * s.lr(1000); // 0
 * ```
 * @module
 */

/** How to build a {@linkcode LinearSchedule}: give `warmupSteps` or `warmupRatio`, or neither. */
export interface LinearScheduleOptions {
  /** Peak learning rate, reached at the end of warm-up (HF: the optimizer's initial lr). */
  readonly baseLr: number;
  /** Optimizer updates in the whole run (HF: `num_training_steps`). */
  readonly totalSteps: number;
  /** Warm-up length in updates (HF: `num_warmup_steps`). */
  readonly warmupSteps?: number;
  /** Warm-up as a fraction of `totalSteps`, rounded up as HF does (HF: `warmup_ratio`). */
  readonly warmupRatio?: number;
}

/** A resolved warm-up + linear-decay schedule. */
export interface LinearSchedule {
  /** Peak learning rate, reached at the end of warm-up. */
  readonly baseLr: number;
  /** Optimizer updates in the whole run; the rate reaches 0 there. */
  readonly totalSteps: number;
  /** Warm-up length in updates, after resolving a ratio. */
  readonly warmupSteps: number;
  /** HF's `lr_lambda(current_step)`: the multiplier of `baseLr` after `step` updates. */
  factor(step: number): number;
  /** The learning rate for the update that follows `step` completed updates: `baseLr * factor(step)`. */
  lr(step: number): number;
}

function fail(message: string): never {
  throw new RangeError(`Cannot build the learning-rate schedule: ${message}`);
}

/**
 * HF's `get_warmup_steps` for a ratio: `ceil(totalSteps * ratio)`, with the same float product,
 * so the results agree even where rounding bites (0.07 x 100 = 7.000000000000001 gives 8 in both).
 *
 * @example
 * ```ts
 * import { warmupStepsFromRatio } from "./schedule.ts";
 * warmupStepsFromRatio(1000, 0.06); // 60
 * ```
 */
export function warmupStepsFromRatio(totalSteps: number, ratio: number): number {
  if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
    fail(`totalSteps must be a positive integer, got ${totalSteps}`);
  }
  if (!(ratio >= 0 && ratio <= 1)) fail(`warmupRatio must be between 0 and 1, got ${ratio}`);
  return Math.ceil(totalSteps * ratio);
}

/**
 * Builds the schedule: `factor(step) = step / warmup` while `step < warmup`, then
 * `max(0, (total - step) / (total - warmup))`, HF's lambda line for line (its `max(1, ...)`
 * guards included, which only matter for warmup 0 or warmup = total). Unlike HF, a warm-up longer
 * than the run, a non-positive total, or both warm-up options at once are errors.
 *
 * @example
 * ```ts
 * import { linearWarmupSchedule } from "./schedule.ts";
 * const s = linearWarmupSchedule({ baseLr: 1e-4, totalSteps: 10, warmupSteps: 4 });
 * s.lr(2); // 5e-5
 * s.lr(7); // 5e-5: (10 - 7) / (10 - 4) of the peak
 * ```
 */
export function linearWarmupSchedule(options: LinearScheduleOptions): LinearSchedule {
  const { baseLr, totalSteps } = options;
  if (!Number.isFinite(baseLr) || baseLr < 0) fail(`baseLr must be a finite number >= 0, got ${baseLr}`);
  if (!Number.isInteger(totalSteps) || totalSteps <= 0) {
    fail(`totalSteps must be a positive integer, got ${totalSteps}`);
  }
  if (options.warmupSteps !== undefined && options.warmupRatio !== undefined) {
    fail("give warmupSteps or warmupRatio, not both");
  }
  let warmupSteps = 0;
  if (options.warmupRatio !== undefined) {
    warmupSteps = warmupStepsFromRatio(totalSteps, options.warmupRatio);
  } else if (options.warmupSteps !== undefined) {
    warmupSteps = options.warmupSteps;
    if (!Number.isInteger(warmupSteps) || warmupSteps < 0) {
      fail(`warmupSteps must be an integer >= 0, got ${warmupSteps}`);
    }
    // HF accepts this silently and never leaves warm-up; a run that never reaches its peak lr is
    // almost certainly a mistake (e.g. warm-up meant for a longer run).
    if (warmupSteps > totalSteps) fail(`warmupSteps ${warmupSteps} exceeds totalSteps ${totalSteps}`);
  }
  const factor = (step: number): number => {
    if (!Number.isInteger(step) || step < 0) {
      throw new RangeError(`Cannot compute the learning rate: step must be an integer >= 0, got ${step}`);
    }
    if (step < warmupSteps) return step / Math.max(1, warmupSteps);
    return Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
  };
  return { baseLr, totalSteps, warmupSteps, factor, lr: (step) => baseLr * factor(step) };
}
