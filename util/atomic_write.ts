/**
 * The project's one way to write an output file: to a temporary name in the same directory, then a
 * rename into place, so a crash or Ctrl-C never leaves a half-written file under its final name
 * (checkpoints, metrics, plots, summaries, GLUE results, concentrated text).
 * @module
 */

let counter = 0;

/**
 * A temporary name next to `path`: same directory (so the rename stays on one file system), and
 * pid + counter so parallel writers of the same path never share a temporary file.
 *
 * @example
 * ```ts
 * import { temporaryPath } from "./atomic_write.ts";
 * temporaryPath("out/run/summary.json"); // "out/run/summary.json.1234.0.tmp"
 * ```
 */
export function temporaryPath(path: string): string {
  return `${path}.${Deno.pid}.${counter++}.tmp`;
}

/**
 * Streams a file into place: `fill` writes to an open temporary file, which is then closed and
 * renamed to `path` (the parent directory is created). When `fill` or the rename fails, the
 * temporary file is removed and nothing carries the final name.
 *
 * @example
 * ```ts
 * import { writeAtomic } from "./atomic_write.ts";
 * await writeAtomic("out/demo/blob.bin", async (file) => {
 *   await file.write(new Uint8Array([1, 2, 3]));
 * });
 * ```
 * @throws {Error} `Cannot write "<path>": <why>`
 */
export async function writeAtomic(path: string, fill: (file: Deno.FsFile) => Promise<void>): Promise<void> {
  const slash = path.lastIndexOf("/");
  const tmp = temporaryPath(path);
  let file: Deno.FsFile | undefined;
  try {
    if (slash > 0) await Deno.mkdir(path.slice(0, slash), { recursive: true });
    file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    await fill(file);
    file.close();
    file = undefined;
    await Deno.rename(tmp, path);
  } catch (error) {
    file?.close();
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`Cannot write "${path}": ${(error as Error).message}`);
  }
}

/**
 * Writes `data` (bytes or UTF-8 text) to `path` through a temporary name.
 *
 * @example
 * ```ts
 * import { writeFileAtomic } from "./atomic_write.ts";
 * await writeFileAtomic("out/demo/summary.json", "{}\n");
 * ```
 * @throws {Error} `Cannot write "<path>": <why>`; the temporary file is removed
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  await writeAtomic(path, (file) => writeAll(file, bytes));
}

/** Anything bytes are written to: an open file, stdout. */
export interface ByteWriter {
  /** Writes some of `bytes`, returning how many. */
  write(bytes: Uint8Array): Promise<number>;
}

/** Writes every byte of `bytes` (a single write may take only part of them). */
export async function writeAll(writer: ByteWriter, bytes: Uint8Array): Promise<void> {
  for (let off = 0; off < bytes.length;) off += await writer.write(bytes.subarray(off));
}
