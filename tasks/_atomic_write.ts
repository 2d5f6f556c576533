/**
 * Writes a file under a temporary name in the same directory and renames it into place, so a
 * crash or Ctrl-C never leaves a half-written output (metrics, plots, summaries, GLUE results).
 * @module
 */

let counter = 0;

/**
 * A temporary name next to `path`: same directory (so the rename stays on one file system), and
 * pid + counter so parallel writers of the same path never share a temporary file.
 */
export function temporaryPath(path: string): string {
  return `${path}.${Deno.pid}.${counter++}.tmp`;
}

/**
 * Writes `data` (bytes or UTF-8 text) to `path`, creating the parent directory.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./_atomic_write.ts";
 * await writeFileAtomic("runs/demo/summary.json", "{}\n");
 * ```
 * @throws {Error} naming the file when the write or rename fails; the temporary file is removed.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const slash = path.lastIndexOf("/");
  if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
  const tmp = temporaryPath(path);
  try {
    if (typeof data === "string") await Deno.writeTextFile(tmp, data);
    else await Deno.writeFile(tmp, data);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Cannot write "${path}": ${(error as Error).message}`);
  }
}
