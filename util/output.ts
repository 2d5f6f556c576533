/**
 * Where outputs go: every command writes under one root, `out/` in the working directory, unless
 * its `--out` says otherwise. Pre-training runs go to `out/runs/<time>-<name>/`, caches of
 * concentrated text and token shards to `out/cache/`, GLUE results to `out/glue/<time>/`, the
 * experiment to `out/experiment/`, a concentration to `out/concentrate/`.
 *
 * @example
 * ```ts
 * import { outputPath, timestamp } from "./output.ts";
 * outputPath("runs", `${timestamp()}-tiny`); // "out/runs/20261206-153012-tiny"
 * ```
 * @module
 */

/** The folder every output and cache goes under, relative to the working directory. */
export const OUTPUT_ROOT = "out";

/** A path under {@linkcode OUTPUT_ROOT}. */
export function outputPath(...parts: string[]): string {
  return [OUTPUT_ROOT, ...parts].join("/");
}

/** A time for folder names, `YYYYMMDD-HHMMSS` (UTC): sorts in time order, no characters to quote. */
export function timestamp(date: Date = new Date()): string {
  return date.toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}
