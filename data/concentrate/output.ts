/**
 * Writes selected units as a plain-text corpus that `data/corpus.ts` reads back: one unit per line
 * (a `document` unit: one paragraph per line), units in corpus order, and an empty line between
 * units of different source documents, so `readDocuments` sees the source's document boundaries
 * and `tasks/shards.ts` never packs two documents into one sequence. Written to a temporary name and
 * renamed on close.
 *
 * @example
 * ```ts
 * import { UnitWriter } from "./output.ts";
 *
 * const w = await UnitWriter.create("/tmp/out.txt");
 * await w.add({ file: 0, doc: 0, text: "A cat.", bytes: 7 });
 * await w.add({ file: 0, doc: 2, text: "A dog.", bytes: 7 });
 * await w.close(); // "A cat.\n\nA dog.\n"
 * ```
 * @module
 */
import { tempName } from "./candidates.ts";

/** Counts of an output file. */
export interface OutputStats {
  path: string;
  units: number;
  /** Unit bytes: text plus one newline per unit (what the budget counts). */
  bytes: number;
  /** Source documents the units came from (runs of units of one document). */
  documents: number;
  /** Size of the file: unit bytes plus one byte per empty line between documents. */
  fileBytes: number;
}

/** Streams units into a text file. */
export class UnitWriter {
  readonly stats: OutputStats;
  readonly #temp: string;
  readonly #file: Deno.FsFile;
  #parts: string[] = [];
  #buffered = 0;
  #lastDoc = -1;

  private constructor(path: string, temp: string, file: Deno.FsFile) {
    this.stats = { path, units: 0, bytes: 0, documents: 0, fileBytes: 0 };
    this.#temp = temp;
    this.#file = file;
  }

  /** Opens `path`'s temporary twin. */
  static async create(path: string): Promise<UnitWriter> {
    const temp = tempName(path);
    return new UnitWriter(path, temp, await Deno.open(temp, { write: true, create: true, truncate: true }));
  }

  /** Appends a unit; an empty line first when it comes from another document than the last one. */
  async add(u: { file: number; doc: number; text: string; bytes: number }): Promise<void> {
    const doc = u.file * 4294967296 + u.doc;
    if (doc !== this.#lastDoc) {
      if (this.stats.units > 0) {
        this.#parts.push("\n");
        this.stats.fileBytes++;
      }
      this.#lastDoc = doc;
      this.stats.documents++;
    }
    this.#parts.push(u.text, "\n");
    this.#buffered += u.text.length;
    this.stats.units++;
    this.stats.bytes += u.bytes;
    this.stats.fileBytes += u.bytes;
    if (this.#buffered >= 1 << 20) await this.#flush();
  }

  /** Flushes, closes and renames into place. */
  async close(): Promise<OutputStats> {
    await this.#flush();
    this.#file.close();
    await Deno.rename(this.#temp, this.stats.path);
    return this.stats;
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

const encoder = new TextEncoder();
