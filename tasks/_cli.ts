/**
 * Shared command-line plumbing for the tasks: flag parsing with one-line errors and exit codes.
 * @module
 */
import { parseArgs, type ParseArgsConfig } from "node:util";
import type { BackendName } from "../core/device.ts";

/** A user error: printed as one line, exit code 2. */
export class UsageError extends Error {}

/** Parses flags strictly: an unknown flag or a missing value is a UsageError naming it. */
export function parseFlags<T extends ParseArgsConfig["options"]>(
  task: string,
  args: string[],
  options: T,
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, allowPositionals: true, strict: true });
    return {
      values: parsed.values as Record<string, string | boolean | undefined>,
      positionals: parsed.positionals,
    };
  } catch (error) {
    // node:util's messages can run to several lines of advice; the first says what was wrong.
    throw new UsageError(`${task}: ${(error as Error).message.split("\n")[0]}`);
  }
}

const BACKENDS: BackendName[] = ["auto", "dawn", "deno", "cpu"];

/** Validates `--backend`. */
export function backendFlag(task: string, value: string | boolean | undefined): BackendName {
  const v = (value ?? "auto") as BackendName;
  if (!BACKENDS.includes(v)) {
    throw new UsageError(`${task}: --backend must be one of ${BACKENDS.join(", ")}, got "${value}"`);
  }
  return v;
}

/** Runs a task's main: a UsageError exits 2 with its message, any other error exits 1. */
export async function main(run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (error) {
    const e = error as Error;
    console.error(`error: ${e.message}`);
    Deno.exit(e instanceof UsageError ? 2 : 1);
  }
}
