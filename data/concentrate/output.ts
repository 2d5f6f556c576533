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
import { BufferedTextFile } from "./text_file.ts";

/** Counts of an output file. */
export interface OutputStats {
  /** The file written. */
  path: string;
  /** Units written, one line each (a `document` unit: one line per paragraph). */
  units: number;
  /** Unit bytes: text plus one newline per unit (what the budget counts). */
  bytes: number;
  /** Source documents the units came from (runs of units of one document). */
  documents: number;
  /** Size of the file: unit bytes plus one byte per empty line between documents. */
  fileBytes: number;
  /** Whitespace-separated words of the units. */
  words: number;
}

/** Streams units into a text file. */
export class UnitWriter {
  /** Counts of what was added so far. */
  readonly stats: OutputStats;
  readonly #out: BufferedTextFile;
  #lastDoc = -1;

  private constructor(out: BufferedTextFile) {
    this.stats = { path: out.path, units: 0, bytes: 0, documents: 0, fileBytes: 0, words: 0 };
    this.#out = out;
  }

  /** Opens `path`'s temporary twin. */
  static async create(path: string): Promise<UnitWriter> {
    return new UnitWriter(await BufferedTextFile.create(path));
  }

  /** Appends a unit; an empty line first when it comes from another document than the last one. */
  async add(u: { file: number; doc: number; text: string; bytes: number }): Promise<void> {
    const doc = u.file * 4294967296 + u.doc;
    let text = `${u.text}\n`;
    if (doc !== this.#lastDoc) {
      if (this.stats.units > 0) {
        text = `\n${text}`;
        this.stats.fileBytes++;
      }
      this.#lastDoc = doc;
      this.stats.documents++;
    }
    this.stats.units++;
    this.stats.words += countWords(u.text);
    this.stats.bytes += u.bytes;
    this.stats.fileBytes += u.bytes;
    await this.#out.write(text);
  }

  /** Flushes, closes and renames into place. */
  async close(): Promise<OutputStats> {
    await this.#out.close();
    return this.stats;
  }

  /** Closes and removes the temporary file. */
  abort(): Promise<void> {
    return this.#out.abort();
  }
}

/** Whitespace-separated words, counted without splitting. */
function countWords(text: string): number {
  let words = 0, inWord = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const space = c === 32 || c === 9 || c === 10 || c === 13 || c === 160;
    if (!space && !inWord) words++;
    inWord = !space;
  }
  return words;
}
