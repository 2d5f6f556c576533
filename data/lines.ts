/**
 * Streams a text file line by line: plain or gzip (recognised by its magic bytes; a `.gz` name on
 * anything else is an error), or
 * stdin for `-`. UTF-8 strictly (a bad byte is an error naming the line, not a U+FFFD), the BOM
 * dropped, `\r\n` one line end, and a last line without a final newline still a line. Memory is
 * bounded by the longest line. Every reader of corpora, GLUE files and tokenizer input goes through
 * here.
 *
 * @example
 * ```ts
 * import { readTextLines } from "./lines.ts";
 *
 * let n = 0;
 * for await (const _ of readTextLines("data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz")) n++;
 * ```
 * @module
 */

/** Options of {@linkcode readTextLines}. */
export interface LineOptions {
  /** Names the file in errors: `Cannot read <label> "<path>": ...` (default "file"). */
  label?: string;
  /** Called with the size of each decompressed chunk in bytes, for throughput figures. */
  onBytes?: (bytes: number) => void;
}

/** Yields the lines of `path` (or stdin for `-`) without their line ends. */
export async function* readTextLines(path: string, options: LineOptions = {}): AsyncGenerator<string> {
  const fail = (reason: string) => new Error(`Cannot read ${options.label ?? "file"} "${path}": ${reason}`);
  let bytes = await openBytes(path, fail);
  const [first, rest] = await peek(bytes);
  const gzip = first !== undefined && first.length >= 2 && first[0] === 0x1f && first[1] === 0x8b;
  bytes = rest;
  // Content decides (wiki_00 may well be gzip), but a .gz name on something else is a mistake.
  if (!gzip && path.endsWith(".gz")) throw fail("not a valid gzip stream (no gzip header)");
  if (gzip) bytes = bytes.pipeThrough(new DecompressionStream("gzip"));
  if (options.onBytes) bytes = bytes.pipeThrough(countBytes(options.onBytes));
  let tail = "";
  let line = 0;
  try {
    for await (const chunk of bytes.pipeThrough(new TextDecoderStream("utf-8", { fatal: true }))) {
      const parts = (tail + chunk).split("\n");
      tail = parts.pop()!;
      for (const part of parts) {
        line++;
        yield trimCr(part);
      }
    }
  } catch (error) {
    // Both fail with a TypeError; the text decoder's says "not valid". It fails on a whole chunk,
    // so the line is a lower bound.
    const message = (error as Error).message.split("\n")[0]!;
    if (/encoded data is not valid/i.test(message)) {
      throw fail(`not valid UTF-8 (somewhere after line ${line})`);
    }
    throw fail(gzip ? `not a valid gzip stream (${message})` : message);
  }
  if (tail.length > 0) yield trimCr(tail);
}

type Bytes = ReadableStream<Uint8Array<ArrayBuffer>>;

async function openBytes(path: string, fail: (reason: string) => Error): Promise<Bytes> {
  if (path === "-") return Deno.stdin.readable;
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw fail("no such file");
    throw fail((error as Error).message.split("\n")[0]!);
  }
  if ((await file.stat()).isDirectory) {
    file.close();
    throw fail("expected a file, found a directory");
  }
  return file.readable;
}

// Reads the first chunk (to look for gzip's magic bytes) and gives back a stream that still starts
// with it: stdin cannot be rewound.
async function peek(bytes: Bytes): Promise<[Uint8Array | undefined, Bytes]> {
  const reader = bytes.getReader();
  const head = await reader.read();
  const stream: Bytes = new ReadableStream({
    start(controller) {
      if (!head.done) controller.enqueue(head.value);
    },
    async pull(controller) {
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel(reason) {
      return reader.cancel(reason);
    },
  });
  return [head.done ? undefined : head.value, stream];
}

function countBytes(
  onBytes: (bytes: number) => void,
): TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>> {
  return new TransformStream({
    transform(chunk, controller) {
      onBytes(chunk.byteLength);
      controller.enqueue(chunk);
    },
  });
}

function trimCr(line: string): string {
  return line.endsWith("\r") ? line.slice(0, -1) : line;
}
