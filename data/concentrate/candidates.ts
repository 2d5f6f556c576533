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

/** A unit kept by a scan, with its selection score and random key. */
export interface Candidate {
  file: number;
  index: number;
  doc: number;
  /** Integer selection score (see the scan's `scale`). */
  score: number;
  /** Random key in [0, 2^32). */
  key: number;
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
  readonly #path: string;
  readonly #temp: string;
  readonly #file: Deno.FsFile;
  #buffer: string[] = [];
  #buffered = 0;

  private constructor(path: string, temp: string, file: Deno.FsFile) {
    this.#path = path;
    this.#temp = temp;
    this.#file = file;
  }

  /** Opens `path`'s temporary twin for writing. */
  static async create(path: string): Promise<CandidateWriter> {
    const temp = tempName(path);
    const file = await Deno.open(temp, { write: true, create: true, truncate: true });
    return new CandidateWriter(path, temp, file);
  }

  /** Appends one candidate. */
  async add(c: Candidate): Promise<void> {
    const line = JSON.stringify([c.file, c.index, c.doc, c.score, c.key, c.text]) + "\n";
    this.#buffer.push(line);
    this.#buffered += line.length;
    this.records++;
    this.bytes += c.bytes;
    if (this.#buffered >= 1 << 20) await this.#flush();
  }

  /** Flushes, closes and renames the file into place. */
  async close(): Promise<void> {
    await this.#flush();
    this.#file.close();
    await Deno.rename(this.#temp, this.#path);
  }

  /** Closes and removes the temporary file. */
  async abort(): Promise<void> {
    try {
      this.#file.close();
    } catch { /* already closed */ }
    await Deno.remove(this.#temp).catch(() => {});
  }

  async #flush(): Promise<void> {
    if (this.#buffer.length === 0) return;
    const bytes = encoder.encode(this.#buffer.join(""));
    this.#buffer = [];
    this.#buffered = 0;
    let done = 0;
    while (done < bytes.length) done += await this.#file.write(bytes.subarray(done));
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

const encoder = new TextEncoder();
let tempCount = 0;

/** A temporary name next to `path` for write-then-rename. */
export function tempName(path: string): string {
  return `${path}.tmp-${Deno.pid}-${tempCount++}`;
}
