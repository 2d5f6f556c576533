/**
 * What a sequence's masking is keyed by, and its random stream: a pure function of (seed, step,
 * sequence), so any sequence's masks are reproduced without masking the ones before it (exact
 * resume in pre-training, masking spread over workers in any order).
 *
 * @example
 * ```ts
 * import { sequenceRng } from "./sequence_key.ts";
 *
 * const rng = sequenceRng({ seed: 1, step: 40, sequence: 3 });
 * rng.next(); // a float in [0, 1), the same for every run with this key
 * ```
 * @module
 */
import { keyedRng, type Rng } from "../util/rng.ts";

/** What a sequence's random stream is keyed by. */
export interface SequenceKey {
  /** The run's masking seed. */
  seed: number;
  /** The optimizer step (or any counter that changes between epochs of the same data). */
  step: number;
  /** The sequence's index: within the step's batch, or a global index; any non-negative integer. */
  sequence: number;
}

/** The stream of one sequence; RangeError unless seed, step and sequence are non-negative safe integers. */
export function sequenceRng(key: SequenceKey): Rng {
  for (const name of ["seed", "step", "sequence"] as const) {
    const v = key[name];
    if (!Number.isSafeInteger(v) || v < 0) {
      throw new RangeError(
        `Cannot key a masking stream: ${name} must be a non-negative safe integer, got ${v}`,
      );
    }
  }
  return keyedRng([key.seed, key.step, key.sequence]);
}
