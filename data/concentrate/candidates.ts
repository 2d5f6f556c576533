/**
 * Candidate files: the units a scan keeps because they may still be selected, one JSON array per
 * line `[file, unit, doc, score, key, text]`, in corpus order. A shard's candidates are a superset
 * of what the final selection takes from it, so merging reads these small files instead of the
 * corpus. Written to a temporary name and renamed on close.
 *
 * @example
 * ```ts
 * import { CandidateWriter, readCandidates } from "./candidates.ts";
 *
 * const w = await CandidateWriter.create("/tmp/c.jsonl");
 * await w.add({ file: 0, index: 3, doc: 1, score: 2, key: 123, text: "A cat.", bytes: 7 });
 * await w.close();
 * for await (const c of readCandidates("/tmp/c.jsonl")) console.log(c.text);
 * ```
 * @module
 */
import { readTextLines } from "../lines.ts";
import { utf8Length } from "./units.ts";
import { BufferedTextFile } from "./text_file.ts";

/** A unit kept by a scan, with its selection score and random key. */
export interface Candidate {
  /** Index of its file in the corpus file list. */
  file: number;
  /** Index of the unit in its file, from 0. */
  index: number;
  /** Index of its document in its file. */
  doc: number;
  /** Integer selection score (see the scan's `scale`). */
  score: number;
  /** Random key in [0, 2^32). */
  key: number;
  /** The unit's text, without a final newline. */
  text: string;
  /** UTF-8 bytes of the text plus its newline. */
  bytes: number;
}

/** Streams candidates into a file; nothing appears under the final name until {@linkcode close}. */
export class CandidateWriter {
  /** Candidates written. */
  records = 0;
  /** Their unit bytes. */
  bytes = 0;
  readonly #out: BufferedTextFile;

  private constructor(out: BufferedTextFile) {
    this.#out = out;
  }

  /** Opens `path`'s temporary twin for writing. */
  static async create(path: string): Promise<CandidateWriter> {
    return new CandidateWriter(await BufferedTextFile.create(path));
  }

  /** Appends one candidate. */
  async add(c: Candidate): Promise<void> {
    this.records++;
    this.bytes += c.bytes;
    await this.#out.write(JSON.stringify([c.file, c.index, c.doc, c.score, c.key, c.text]) + "\n");
  }

  /** Flushes, closes and renames the file into place. */
  close(): Promise<void> {
    return this.#out.close();
  }

  /** Closes and removes the temporary file. */
  abort(): Promise<void> {
    return this.#out.abort();
  }
}

/** Streams the candidates of a file written by {@linkcode CandidateWriter}, checking each line. */
export async function* readCandidates(path: string): AsyncGenerator<Candidate> {
  let line = 0;
  for await (const raw of readTextLines(path, { label: "candidate file" })) {
    line++;
    if (raw === "") continue;
    let row: unknown;
    try {
      row = JSON.parse(raw);
    } catch {
      row = null;
    }
    if (!isRow(row)) {
      throw new Error(
        `Cannot read candidate file "${path}" line ${line}: expected [file, unit, doc, score, key, text]`,
      );
    }
    const [file, index, doc, score, key, text] = row;
    yield { file, index, doc, score, key, text, bytes: utf8Length(text) + 1 };
  }
}

type Row = [number, number, number, number, number, string];

function isRow(row: unknown): row is Row {
  return Array.isArray(row) && row.length === 6 && row.slice(0, 5).every(Number.isInteger) &&
    typeof row[5] === "string";
}
