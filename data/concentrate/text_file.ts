/**
 * A text file written through a 1 MiB buffer to a temporary name next to its path, and renamed into
 * place on close: the candidate and output writers of the concentration both stream through it, so
 * nothing half-written ever carries a final name.
 *
 * @example
 * ```ts
 * import { BufferedTextFile } from "./text_file.ts";
 *
 * const f = await BufferedTextFile.create("/tmp/out.txt");
 * await f.write("A cat.\n");
 * await f.close(); // /tmp/out.txt now exists
 * ```
 * @module
 */
import { temporaryPath } from "../../util/atomic_write.ts";

const FLUSH_AT = 1 << 20;
const encoder = new TextEncoder();

/** Buffered text output under a temporary name until {@linkcode close}. */
export class BufferedTextFile {
  /** The final name. */
  readonly path: string;
  readonly #temp: string;
  readonly #file: Deno.FsFile;
  #parts: string[] = [];
  #buffered = 0;

  private constructor(path: string, temp: string, file: Deno.FsFile) {
    this.path = path;
    this.#temp = temp;
    this.#file = file;
  }

  /** Opens `path`'s temporary twin for writing. */
  static async create(path: string): Promise<BufferedTextFile> {
    const temp = temporaryPath(path);
    return new BufferedTextFile(
      path,
      temp,
      await Deno.open(temp, { write: true, create: true, truncate: true }),
    );
  }

  /** Appends `text`, writing the buffer out once it holds 1 MiB. */
  async write(text: string): Promise<void> {
    this.#parts.push(text);
    this.#buffered += text.length;
    if (this.#buffered >= FLUSH_AT) await this.#flush();
  }

  /** Flushes, closes and renames the file into place. */
  async close(): Promise<void> {
    await this.#flush();
    this.#file.close();
    await Deno.rename(this.#temp, this.path);
  }

  /** Closes and removes the temporary file. */
  async abort(): Promise<void> {
    try {
      this.#file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.#temp).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#parts.length === 0) return;
    const bytes = encoder.encode(this.#parts.join(""));
    this.#parts = [];
    this.#buffered = 0;
    let done = 0;
    while (done < bytes.length) done += await this.#file.write(bytes.subarray(done));
  }
}
