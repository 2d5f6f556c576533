/**
 * Streaming corpus reader: plain text or gzip (detected by its magic bytes), with WikiExtractor's
 * `<doc id=... url=... title=...>` blocks unwrapped, read as lines, paragraphs or documents, and a
 * deterministic train/validation split by document.
 *
 * Documents: inside a `<doc>` block the tags, the repeated title line and empty lines are dropped
 * and every remaining line is a paragraph. Outside `<doc>` blocks (plain text) documents are
 * separated by empty lines, one paragraph or sentence per line, as in BERT's
 * `create_pretraining_data.py`; they get the id `<file name>#<n>` and an empty title.
 *
 * @example
 * ```ts
 * import { readDocuments, splitOf } from "./data/corpus.ts";
 *
 * for await (const doc of readDocuments("data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz")) {
 *   const split = splitOf(doc, { validation: 0.01, seed: 1 });
 *   console.log(doc.id, doc.title, doc.paragraphs.length, split);
 * }
 * ```
 * @module
 */
import { fmix32 } from "../util/rng.ts";
import { readTextLines } from "./lines.ts";

/** Where a document came from and what it is called. */
export interface DocumentInfo {
  /** WikiExtractor's `id` attribute, or `<file name>#<n>` for plain text (n counts from 0). */
  id: string;
  /** WikiExtractor's `title` attribute (entities decoded), or "" for plain text. */
  title: string;
  /** WikiExtractor's `url` attribute, or "". */
  url: string;
  /** The file it was read from. */
  source: string;
}

/** One non-empty line of a document's text. */
export interface Paragraph {
  /** The document it belongs to: the same object for every paragraph of one document. */
  doc: DocumentInfo;
  /** The line without its line ending. */
  text: string;
  /** 1-based line number in the (decompressed) file. */
  line: number;
}

/** A whole document: its paragraphs in order (tags, title line and empty lines dropped). */
export interface CorpusDocument extends DocumentInfo {
  /** Non-empty lines of the text; join with "\n" for the text. */
  paragraphs: string[];
}

/** Options of the readers. */
export interface ReadOptions {
  /** Called with the size of each decompressed chunk in bytes, for throughput figures. */
  onBytes?: (bytes: number) => void;
}

/** Which side of the train/validation split a document falls on. */
export type Split = "train" | "validation";

/** How to split: the validation fraction in [0, 1) and the seed of the hash. */
export interface SplitOptions {
  /** Fraction of documents sent to validation, in [0, 1); 0 sends all to train. */
  validation: number;
  /** Seed mixed into the hash: another seed draws another split. */
  seed: number;
}

/**
 * Streams the lines of a text file, plain or gzip, without line endings (`\n` or `\r\n`). A last
 * line without a final newline is still yielded; a final newline does not add an empty line.
 *
 * @example
 * ```ts
 * let n = 0;
 * for await (const _ of readLines("data/corpus/enwiki-2015-wikiextractor/AA/wiki_00.gz")) n++;
 * ```
 */
export function readLines(path: string, options: ReadOptions = {}): AsyncGenerator<string> {
  return readTextLines(path, { label: "corpus file", onBytes: options.onBytes });
}

/**
 * Streams the paragraphs of a corpus file (see the module doc for what a document is). Memory stays
 * bounded by the longest line, whatever the file or document size.
 */
export async function* readParagraphs(path: string, options: ReadOptions = {}): AsyncGenerator<Paragraph> {
  for await (const event of readEvents(path, options)) {
    if (event.kind === "line") yield { doc: event.doc, text: event.text, line: event.line };
  }
}

/**
 * Streams whole documents of a corpus file, one at a time. WikiExtractor documents without text are
 * yielded with no paragraphs, so every `<doc>` block gives one document.
 */
export async function* readDocuments(
  path: string,
  options: ReadOptions = {},
): AsyncGenerator<CorpusDocument> {
  let current: CorpusDocument | undefined;
  for await (const event of readEvents(path, options)) {
    if (event.kind === "start") current = { ...event.doc, paragraphs: [] };
    else if (event.kind === "line") current!.paragraphs.push(event.text);
    else yield current!;
  }
}

type CorpusEvent =
  | { kind: "start"; doc: DocumentInfo }
  | { kind: "line"; doc: DocumentInfo; text: string; line: number }
  | { kind: "end"; doc: DocumentInfo };

// The one parser behind both readers: every document is bracketed by "start" and "end".
async function* readEvents(path: string, options: ReadOptions): AsyncGenerator<CorpusEvent> {
  const name = path.split(/[\\/]/).pop()!;
  let doc: DocumentInfo | undefined;
  let inWiki = false;
  let expectTitle = false;
  let plainCount = 0;
  let lineNo = 0;
  for await (const raw of readLines(path, options)) {
    lineNo++;
    if (raw.startsWith("<doc ") && raw.trimEnd().endsWith(">")) {
      if (doc) yield { kind: "end", doc }; // an unclosed block ends where the next one starts
      doc = parseDocTag(raw.trimEnd(), path);
      inWiki = true;
      expectTitle = true;
      yield { kind: "start", doc };
      continue;
    }
    const trimmed = raw.trim();
    if (trimmed === "</doc>") {
      if (!inWiki) continue; // a stray closing tag outside a block is dropped, ending nothing
      yield { kind: "end", doc: doc! };
      doc = undefined;
      inWiki = false;
      continue;
    }
    if (trimmed === "") {
      // Empty lines separate plain-text documents; inside a <doc> block they separate nothing.
      if (!inWiki && doc) yield { kind: "end", doc };
      if (!inWiki) doc = undefined;
      continue;
    }
    if (expectTitle) {
      expectTitle = false;
      if (trimmed === doc!.title) continue; // WikiExtractor repeats the title as the first line
    }
    if (!doc) {
      doc = { id: `${name}#${plainCount++}`, title: "", url: "", source: path };
      yield { kind: "start", doc };
    }
    yield { kind: "line", doc, text: raw, line: lineNo };
  }
  if (doc) yield { kind: "end", doc };
}

/**
 * Expands corpus paths: a file stays as given; a directory is searched recursively for
 * WikiExtractor's `wiki_NN` files (optionally `.gz`), sorted by path so the order is stable.
 * Throws one line naming the path when it is missing or a directory holds no such file.
 */
export async function corpusFiles(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const path of paths) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      throw new Error(`Cannot read corpus "${path}": ${describeOpenError(error)}`);
    }
    if (!info.isDirectory) {
      out.push(path);
      continue;
    }
    const found: string[] = [];
    await walk(path, found);
    if (found.length === 0) {
      throw new Error(`Cannot read corpus "${path}": expected wiki_NN or wiki_NN.gz files in this directory`);
    }
    out.push(...found.sort(byPath));
  }
  return out;
}

/**
 * Decides the split of a document from a hash of its id and title with the seed, so a document
 * falls on the same side whatever the file order, and no document is on both sides.
 */
export function splitOf(doc: Pick<DocumentInfo, "id" | "title">, options: SplitOptions): Split {
  if (!(options.validation >= 0 && options.validation < 1)) {
    throw new RangeError(`Cannot split: validation fraction must be in [0, 1), got ${options.validation}`);
  }
  // FNV's low bits mix poorly; murmur3's finaliser spreads them before the value is compared.
  const h = fmix32(fnv1a32(`${options.seed >>> 0}\u0000${doc.id}\u0000${doc.title}`));
  return h / 4294967296 < options.validation ? "validation" : "train";
}

/** 32-bit FNV-1a of a string's UTF-8 bytes. */
export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const b of encoder.encode(text)) h = Math.imul(h ^ b, 0x01000193);
  return h >>> 0;
}

const encoder = new TextEncoder();

function parseDocTag(line: string, path: string): DocumentInfo {
  const id = /\bid="([^"]*)"/.exec(line)?.[1] ?? "";
  const url = /\burl="([^"]*)"/.exec(line)?.[1] ?? "";
  // Greedy up to the closing `">`: a title may itself contain quotes.
  const title = /\btitle="(.*)"\s*>$/.exec(line)?.[1] ?? "";
  return { id, url, title: decodeEntities(title), source: path };
}

function decodeEntities(s: string): string {
  if (!s.includes("&")) return s;
  return s.replace(/&(amp|lt|gt|quot|apos|#39);/g, (_, e: string) => ENTITIES[e]!);
}

const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'", "#39": "'" };

function describeOpenError(error: unknown): string {
  if (error instanceof Deno.errors.NotFound) return "no such file or directory";
  if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
  return (error as Error).message;
}

async function walk(dir: string, found: string[]): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await walk(path, found);
    else if (/^wiki_\d+(\.gz)?$/.test(entry.name)) found.push(path);
  }
}

// Natural order, so wiki_9 sorts before wiki_10 and AA/ before AB/.
function byPath(a: string, b: string): number {
  return a.localeCompare(b, "en", { numeric: true });
}
