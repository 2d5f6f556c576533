/**
 * Standard output for results: written whole, in order, before the promise resolves (large
 * outputs such as `tokenize`'s are written in pieces).
 * @module
 */
import { writeAll } from "./atomic_write.ts";

/**
 * Writes `text` to stdout.
 *
 * @example
 * ```ts
 * import { writeStdout } from "./stdio.ts";
 * await writeStdout("done\n");
 * ```
 */
export async function writeStdout(text: string): Promise<void> {
  await writeAll(Deno.stdout, new TextEncoder().encode(text));
}

/** The default log of every library function: one line to stderr. */
export function logToStderr(line: string): void {
  console.error(line);
}
