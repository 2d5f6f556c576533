/**
 * Text units of a corpus file, streamed in corpus order (docs METHOD.md section 3):
 * - `paragraph` (default): one non-empty line of a document, as `readParagraphs` yields it;
 * - `document`: a whole document, its paragraphs joined by `\n`;
 * - `window`: `windowWords` consecutive whitespace-separated words of one document (windows never
 *   cross documents; a document's last window may be shorter), joined by single spaces, so a
 *   window is one line of output whatever paragraphs it spans.
 *
 * A unit's size in bytes is its UTF-8 text plus one newline: exactly what it adds to an output
 * file (document separators aside).
 *
 * @example
 * ```ts
 * import { readUnits } from "./units.ts";
 *
 * const path = "data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz";
 * for await (const u of readUnits(path, 0, { unit: "window", windowWords: 128 })) {
 *   console.log(u.index, u.doc, u.bytes);
 * }
 * ```
 * @module
 */
import { readDocuments, readParagraphs } from "../corpus.ts";

/** What a text unit is. */
export type UnitKind = "paragraph" | "document" | "window";

/** The unit kinds, for flag validation. */
export const UNIT_KINDS: readonly UnitKind[] = ["paragraph", "document", "window"];

/** How a corpus is cut into units. */
export interface UnitOptions {
  /** What one unit is: a paragraph, a whole document or a window of words. */
  unit: UnitKind;
  /** Words per window for `window` units. */
  windowWords: number;
}

/** One unit with its place in the corpus. */
export interface TextUnit {
  /** Index of its file in the corpus file list. */
  file: number;
  /** Index of the unit in its file, from 0. */
  index: number;
  /** Index of its document in its file (increasing; units of one document share it). */
  doc: number;
  /** The text, without a final newline; `document` units hold `\n` between paragraphs. */
  text: string;
  /** UTF-8 bytes of the text plus one for the newline that ends it in an output file. */
  bytes: number;
}

/**
 * Streams the units of file `path`, which is file number `file` of the corpus. Memory stays bounded
 * by the longest line (`paragraph`, `window`) or the longest document (`document`).
 */
export async function* readUnits(
  path: string,
  file: number,
  options: UnitOptions,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<TextUnit> {
  if (options.unit === "document") {
    let doc = -1, index = 0;
    for await (const d of readDocuments(path, { onBytes })) {
      doc++;
      if (d.paragraphs.length === 0) continue;
      const text = d.paragraphs.join("\n");
      yield { file, index: index++, doc, text, bytes: utf8Length(text) + 1 };
    }
    return;
  }
  if (options.unit === "window") {
    yield* readWindows(path, file, options.windowWords, onBytes);
    return;
  }
  let doc = -1, index = 0;
  let last: unknown = undefined;
  for await (const p of readParagraphs(path, { onBytes })) {
    if (p.doc !== last) {
      last = p.doc;
      doc++;
    }
    yield { file, index: index++, doc, text: p.text, bytes: utf8Length(p.text) + 1 };
  }
}

async function* readWindows(
  path: string,
  file: number,
  size: number,
  onBytes?: (bytes: number) => void,
): AsyncGenerator<TextUnit> {
  if (!Number.isInteger(size) || size < 1) {
    throw new RangeError(`Cannot cut windows: window size must be a positive integer of words, got ${size}`);
  }
  let doc = -1, index = 0;
  let last: unknown = undefined;
  let words: string[] = [];
  const cut = (n: number): TextUnit => {
    const text = words.slice(0, n).join(" ");
    words = words.slice(n);
    return { file, index: index++, doc, text, bytes: utf8Length(text) + 1 };
  };
  for await (const p of readParagraphs(path, { onBytes })) {
    if (p.doc !== last) {
      if (words.length > 0) yield cut(words.length);
      last = p.doc;
      doc++;
    }
    for (const w of p.text.split(/\s+/)) if (w !== "") words.push(w);
    while (words.length >= size) yield cut(size);
  }
  if (words.length > 0) yield cut(words.length);
}

/** Bytes of `text` in UTF-8 (a lone surrogate counts 3, as the encoder writes U+FFFD). */
export function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
