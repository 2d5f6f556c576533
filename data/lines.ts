/**
 * The one line reader of the project: every reader of corpora, GLUE files, ConceptNet, candidate
 * files and tokenizer input goes through here. It streams a text file line by line: plain or gzip
 * (recognised by its magic bytes; a `.gz` name on anything else is an error), or stdin for `-`.
 * UTF-8 strictly (a bad byte is an error naming its line and byte, not a U+FFFD; or, for readers
 * that skip and count, a bad line reported to `onBadLine`), the BOM dropped, `\r\n` one line end,
 * and a last line without a final newline still a line.
 *
 * Time is linear in the input and memory bounded by the longest line (or by `maxLineBytes`): lines
 * are cut on the bytes, and each chunk's whole lines are decoded at once, so a line spread over many
 * chunks is joined once, not once per chunk.
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

/** A line that was skipped instead of failing the read (see {@linkcode SplitLinesOptions.onBadLine}). */
export interface BadLine {
  /** 1-based line number in the (decompressed) text. */
  line: number;
  /** What is wrong with it: `not valid UTF-8 (byte 7 of the line is 0xFF)`, `longer than ...`. */
  reason: string;
}

/** How {@linkcode splitTextLines} treats bad lines and builds its errors. */
export interface SplitLinesOptions {
  /** The error for a bad line when there is no `onBadLine`; `reason` names the line. */
  fail: (reason: string) => Error;
  /** The error when the byte stream itself fails (a corrupt gzip stream); default `fail(message)`. */
  failRead?: (message: string) => Error;
  /**
   * Longest line accepted, in bytes without its line end (default: no limit). Bytes of a longer
   * line are dropped as they arrive, so a file with no line ends cannot fill the memory.
   */
  maxLineBytes?: number;
  /**
   * Skip lines that are not UTF-8 or are longer than `maxLineBytes` and report them here, instead
   * of failing. It is called in line order, before the line after it is yielded, so a caller that
   * counts yielded lines can keep in step by setting its count to `bad.line`.
   */
  onBadLine?: (bad: BadLine) => void;
}

/** Options of {@linkcode readTextLines}. */
export interface LineOptions extends Pick<SplitLinesOptions, "maxLineBytes" | "onBadLine"> {
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
  if (!gzip && path.endsWith(".gz")) {
    await bytes.cancel().catch(() => {});
    throw fail("not a valid gzip stream (no gzip header)");
  }
  if (gzip) bytes = bytes.pipeThrough(new DecompressionStream("gzip"));
  if (options.onBytes) bytes = bytes.pipeThrough(countBytes(options.onBytes));
  yield* splitTextLines(bytes, {
    fail,
    failRead: (message) => fail(gzip ? `not a valid gzip stream (${message})` : message),
    ...(options.maxLineBytes !== undefined ? { maxLineBytes: options.maxLineBytes } : {}),
    ...(options.onBadLine ? { onBadLine: options.onBadLine } : {}),
  });
}

/**
 * Yields the lines of a byte stream of UTF-8 text without their line ends (`\n` or `\r\n`), the BOM
 * of the first line dropped. A line that is not UTF-8, or longer than `maxLineBytes`, fails the
 * read with `fail("... on line N ...")`, or is skipped and reported to `onBadLine`. Cancels the
 * stream when the caller stops early.
 *
 * @example
 * ```ts
 * import { splitTextLines } from "./lines.ts";
 *
 * const bytes = ReadableStream.from([new TextEncoder().encode("a\r\nb")]);
 * const lines = [];
 * for await (const line of splitTextLines(bytes, { fail: (why) => new Error(why) })) lines.push(line);
 * lines; // ["a", "b"]
 * ```
 */
export async function* splitTextLines(
  bytes: ReadableStream<Uint8Array>,
  options: SplitLinesOptions,
): AsyncGenerator<string> {
  const max = options.maxLineBytes ?? Infinity;
  const failRead = options.failRead ?? options.fail;
  // ignoreBOM: blocks are decoded one by one, and a fresh decode would drop a BOM at each block's
  // start; only the file's first line loses it (below).
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const reader = bytes.getReader();
  // The start of a line not yet ended, in the chunks it came in: joined once, when it ends.
  let pending: Uint8Array[] = [];
  let pendingBytes = 0;
  let line = 0; // lines finished so far
  // `reason` is for the skip report (which names the line itself), `message` for the error.
  const bad = (reason: string, message: string): void => {
    if (!options.onBadLine) throw options.fail(message);
    options.onBadLine({ line, reason });
  };
  // One finished line's bytes to its text, or null when it is bad and skipped.
  const decodeLine = (lineBytes: Uint8Array, length: number): string | null => {
    line++;
    if (length > max) {
      bad(
        `longer than ${max} bytes (${length} bytes)`,
        `line ${line} is longer than the ${max} bytes a line may have (${length} bytes)`,
      );
      return null;
    }
    let text: string;
    try {
      text = decoder.decode(lineBytes);
    } catch {
      const at = firstInvalidUtf8(lineBytes);
      const byte = at < 0 ? "" : `byte ${at + 1} of the line is 0x${hex(lineBytes[at]!)}`;
      bad(
        `not valid UTF-8${byte ? ` (${byte})` : ""}`,
        `not valid UTF-8 on line ${line}${byte ? ` (${byte})` : ""}; expected UTF-8 text`,
      );
      return null;
    }
    if (line === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return trimCr(text);
  };
  try {
    while (true) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        throw failRead((error as Error).message.split("\n")[0]!);
      }
      if (next.done) break;
      const chunk = next.value;
      let start = 0;
      let end = chunk.indexOf(0x0a);
      if (end < 0) {
        // Past the limit the bytes are only counted: the line is bad whatever follows.
        if (pendingBytes + chunk.length <= max) pending.push(chunk.slice());
        else pending = [];
        pendingBytes += chunk.length;
        continue;
      }
      // The line that began in earlier chunks ends in this one.
      if (pendingBytes > 0) {
        const length = pendingBytes + end;
        const joined = length > max ? new Uint8Array(0) : concat(pending, chunk.subarray(0, end));
        const text = decodeLine(joined, length);
        if (text !== null) yield text;
        pending = [];
        pendingBytes = 0;
        start = end + 1;
        end = chunk.indexOf(0x0a, start);
      }
      const last = chunk.lastIndexOf(0x0a);
      if (end >= 0) {
        // The chunk's other whole lines: one decode and one split for all of them.
        const block = chunk.subarray(start, last);
        const texts = line > 0 && block.length <= max ? decodeBlock(decoder, block) : null;
        if (texts !== null) {
          line += texts.length;
          for (const text of texts) yield trimCr(text);
        } else {
          // The first line (BOM), a limit, or a bad byte somewhere: line by line.
          let from = start;
          while (from <= last) {
            const to = chunk.indexOf(0x0a, from);
            const text = decodeLine(chunk.subarray(from, to), to - from);
            if (text !== null) yield text;
            from = to + 1;
          }
        }
      }
      const tail = chunk.subarray(last + 1);
      if (tail.length > 0) {
        if (tail.length <= max) pending.push(tail.slice());
        pendingBytes = tail.length;
      }
    }
    if (pendingBytes > 0) {
      const joined = pendingBytes > max ? new Uint8Array(0) : concat(pending, new Uint8Array(0));
      const text = decodeLine(joined, pendingBytes);
      if (text !== null) yield text;
    }
  } finally {
    // Closes the file when the caller stops early; a no-op after the end.
    await reader.cancel().catch(() => {});
  }
}

/** The lines of a block of whole lines, or null when it is not valid UTF-8. */
function decodeBlock(decoder: TextDecoder, block: Uint8Array): string[] | null {
  try {
    return decoder.decode(block).split("\n");
  } catch {
    return null;
  }
}

function concat(parts: readonly Uint8Array[], last: Uint8Array): Uint8Array {
  if (parts.length === 0) return last;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, last.length));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  out.set(last, at);
  return out;
}

/** Offset of the first byte that does not start a well-formed UTF-8 sequence, or -1 (RFC 3629). */
function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : 0;
    if (n === 0) return i;
    // The second byte's range rules out overlong forms, surrogates and code points past U+10FFFF.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return -1;
}

function hex(byte: number): string {
  return byte.toString(16).toUpperCase().padStart(2, "0");
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
