/**
 * The error a command answers with exit code 2: a bad flag, a bad setting (type, range, allowed
 * values), a missing argument. Everything else (bad data, a device failure) is an ordinary Error
 * and exits 1.
 * @module
 */

/**
 * A mistake in how a command or library function was asked to run, named in one line.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * throw new UsageError("--steps must be an integer >= 1, got 0");
 * ```
 */
export class UsageError extends Error {
  /** The error's name, as `String(error)` prints it. */
  override name = "UsageError";
}
