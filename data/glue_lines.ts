/**
 * Streams a UTF-8 text file as lines, the way GLUE's reference readers see them (Python's
 * `open(..., encoding="utf-8-sig")` iterated line by line): the BOM is dropped, `\r\n` counts as
 * one line end, and a last line without a final newline is still a line. Nothing else is touched:
 * quotes, trailing spaces and tabs stay as they are.
 *
 * @example
 * ```ts
 * import { readLines } from "./glue_lines.ts";
 *
 * for await (const { line, lineNumber } of readLines("data/glue/RTE/dev.tsv")) {
 *   if (lineNumber > 2) break;
 *   console.log(line.split("\t").length); // 4
 * }
 * ```
 * @module
 */

/** One line of a file, without its line end; `lineNumber` counts from 1. */
export interface NumberedLine {
  /** The text between two line ends. */
  readonly line: string;
  /** Its 1-based position in the file. */
  readonly lineNumber: number;
}

/**
 * Yields the lines of `path`, streamed so that a 300 MB MNLI train file is never one string.
 *
 * @throws {Error} naming the file when its bytes are not valid UTF-8.
 */
export async function* readLines(path: string): AsyncGenerator<NumberedLine> {
  const file = await Deno.open(path, { read: true });
  // fatal: a wrongly encoded file should fail loudly rather than turn into U+FFFD silently;
  // the decoder drops a leading BOM itself (ignoreBOM defaults to false).
  const text = file.readable.pipeThrough(new TextDecoderStream("utf-8", { fatal: true }));
  let rest = "";
  let lineNumber = 0;
  try {
    for await (const chunk of text) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const part of parts) yield { line: trimCr(part), lineNumber: ++lineNumber };
    }
  } catch (error) {
    if (error instanceof TypeError) {
      throw new Error(`Cannot read "${path}": not valid UTF-8 after line ${lineNumber}`, { cause: error });
    }
    throw error;
  }
  if (rest.length > 0) yield { line: trimCr(rest), lineNumber: ++lineNumber };
}

function trimCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
