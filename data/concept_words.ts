/**
 * The one word normalisation of concept matching, applied to lexicon terms and to text alike so
 * that both split identically: BERT's uncased basic tokenizer (drop control characters, lowercase,
 * strip accents, isolate punctuation and CJK ideographs, split on whitespace), with the UTF-16
 * span of every word in the original string. The character rules are those of `bert_chars.ts`, so
 * the words of a text are exactly the whole words that WordPiece later cuts into `##` pieces.
 * @module
 */
import { ASCII_CLASS, charInfo, CJK, DROP, PUNCT, SPACE, UPPER, WORD } from "./bert_chars.ts";

/** The words of a text and where each came from: `text.slice(starts[k], ends[k])` normalises to `words[k]`. */
export interface Words {
  /** Normalised words: lowercase, accents stripped; a punctuation mark is a word of its own. */
  words: string[];
  /** UTF-16 start of each word in the input. */
  starts: number[];
  /** UTF-16 end (exclusive) of each word in the input. */
  ends: number[];
}

/**
 * Receives the words of {@linkcode scanWords} in order. The common case, a run of ASCII letters
 * and digits, comes as a range of the text so that a sink that only looks words up (a
 * {@linkcode WordTable}) never builds the string.
 */
export interface WordSink {
  /** One normalised, non-empty word from `text[start, end)`. */
  word(word: string, start: number, end: number): void;
  /** The word `text.slice(start, end)`, lowercased when `upper` (it holds an ASCII capital). */
  run(text: string, start: number, end: number, upper: boolean): void;
}

/** One-character strings of the ASCII punctuation marks, so the scan never builds them. */
const ASCII_CHARS: string[] = Array.from({ length: 128 }, (_, c) => String.fromCharCode(c));

/**
 * Streams the words of `text` to `sink`. Runs of ASCII letters and digits (most English text)
 * are sliced straight out of the string; everything else goes character by character through
 * {@linkcode charInfo}.
 */
export function scanWords(text: string, sink: WordSink): void {
  const n = text.length;
  let i = 0;
  while (i < n) {
    let c = text.charCodeAt(i);
    if (c >= 128) {
      i = scanSlow(text, i, sink);
      continue;
    }
    const kind = ASCII_CLASS[c]!;
    if (kind >= WORD) {
      const start = i;
      let upper = kind === UPPER;
      for (i++; i < n; i++) {
        c = text.charCodeAt(i);
        if (c >= 128) break;
        const k = ASCII_CLASS[c]!;
        if (k < WORD) break;
        if (k === UPPER) upper = true;
      }
      // A dropped or non-ASCII character may continue the word: redo it on the general path.
      if (i < n && (c >= 128 || ASCII_CLASS[c] === DROP)) {
        i = scanSlow(text, start, sink);
        continue;
      }
      sink.run(text, start, i, upper);
    } else {
      if (kind === PUNCT) sink.word(ASCII_CHARS[c]!, i, i + 1);
      i++;
    }
  }
}

/**
 * The general path from `i` to the end of the current word; returns where the fast path may
 * resume. A word spans from its first to its last contributing character, so characters that
 * normalise to nothing (a combining accent) inside a word stay inside its span.
 */
function scanSlow(text: string, i: number, sink: WordSink): number {
  const n = text.length;
  let word = "";
  let start = -1, end = -1;
  const flush = () => {
    if (word.length > 0) sink.word(word, start, end);
    word = "";
    start = -1;
  };
  const append = (s: string, from: number, to: number) => {
    if (s.length === 0) {
      if (start >= 0) end = to;
      return;
    }
    if (start < 0) start = from;
    word += s;
    end = to;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      const kind = ASCII_CLASS[c]!;
      if (kind >= WORD) append(kind === UPPER ? ASCII_CHARS[c + 32]! : ASCII_CHARS[c]!, i, i + 1);
      else if (kind !== DROP) {
        flush();
        if (kind === PUNCT) sink.word(ASCII_CHARS[c]!, i, i + 1);
        return i + 1;
      }
      i++;
      continue;
    }
    const cp = text.codePointAt(i)!;
    const next = i + (cp > 0xffff ? 2 : 1);
    const info = charInfo(cp);
    if (info.kind === SPACE || info.kind === CJK) {
      flush();
      if (info.kind === CJK && info.norm.length > 0) sink.word(info.norm, i, next);
      return next;
    }
    if (info.kind === WORD) {
      if (!info.hasPunct) append(info.norm, i, next);
      else {
        for (const piece of info.pieces) {
          if (!piece.punct) append(piece.text, i, next);
          else {
            flush();
            sink.word(piece.text, i, next);
          }
        }
      }
    }
    i = next;
  }
  flush();
  return i;
}

/**
 * Splits text into normalised words with their UTF-16 spans.
 *
 * @example
 * ```ts
 * splitWords("Café's, New-York");
 * // { words: ["cafe", "'", "s", ",", "new", "-", "york"],
 * //   starts: [0, 4, 5, 6, 8, 11, 12], ends: [4, 5, 6, 7, 11, 12, 16] }
 * ```
 */
export function splitWords(text: string): Words {
  const out: Words = { words: [], starts: [], ends: [] };
  const push = (word: string, start: number, end: number) => {
    out.words.push(word);
    out.starts.push(start);
    out.ends.push(end);
  };
  scanWords(text, {
    word: push,
    run(text, start, end, upper) {
      const word = text.slice(start, end);
      push(upper ? word.toLowerCase() : word, start, end);
    },
  });
  return out;
}

/**
 * A lexicon term or phrase in matching form: its words joined by single spaces.
 *
 * @example
 * ```ts
 * normalizeWords("Ice  Cream"); // "ice cream"
 * normalizeWords("cat's"); // "cat ' s"
 * ```
 */
export function normalizeWords(text: string): string {
  return splitWords(text).words.join(" ");
}

/** Receives the word ids of {@linkcode WordTable.scan} in order. */
export interface WordIdSink {
  /** The id of the word from `text[start, end)`, or -1 when the table does not hold it. */
  id(wordId: number, start: number, end: number): void;
}

/**
 * A fixed set of normalised words with dense ids (`0..size-1`, in the order given), looked up from
 * a string or straight from a range of text (ASCII lowercased on the fly) without building a
 * string: open addressing over a 32-bit FNV-1a hash of the UTF-16 units, keys compared unit by unit.
 *
 * @example
 * ```ts
 * const table = new WordTable(["ice", "cream"]);
 * table.id("cream"); // 1
 * table.idOfRun("Ice Cream", 0, 3); // 0 (lowercased)
 * table.id("milk"); // -1
 * ```
 */
export class WordTable {
  /** The words by id. */
  readonly words: readonly string[];
  readonly #chars: Uint16Array;
  readonly #offsets: Uint32Array;
  /** Word id + 1 per slot, 0 for an empty slot. */
  readonly #slots: Int32Array;
  readonly #hashes: Int32Array;
  readonly #mask: number;
  /** Id of each one-character ASCII word (punctuation), or -1. */
  readonly #asciiIds = new Int32Array(128).fill(-1);
  // The slow path of `scan` yields strings: this adapter looks them up for the current sink.
  #target: WordIdSink | null = null;
  readonly #adapter: WordSink = {
    word: (word, start, end) => this.#target!.id(this.id(word), start, end),
    run: (text, start, end) => this.#target!.id(this.idOfRun(text, start, end), start, end),
  };

  /** Indexes `words` (which must be distinct). */
  constructor(words: readonly string[]) {
    this.words = words;
    let total = 0;
    for (const w of words) total += w.length;
    this.#chars = new Uint16Array(total);
    this.#offsets = new Uint32Array(words.length + 1);
    let size = 16;
    while (size < words.length * 2) size *= 2;
    this.#slots = new Int32Array(size);
    this.#hashes = new Int32Array(size);
    this.#mask = size - 1;
    let at = 0;
    words.forEach((w, id) => {
      for (let k = 0; k < w.length; k++) this.#chars[at + k] = w.charCodeAt(k);
      at += w.length;
      this.#offsets[id + 1] = at;
      if (this.id(w) >= 0) throw new RangeError(`Cannot index words: "${w}" is listed twice`);
      const h = hashUnits(w, 0, w.length, false);
      let slot = mix(h) & this.#mask;
      while (this.#slots[slot] !== 0) slot = (slot + 1) & this.#mask;
      this.#slots[slot] = id + 1;
      this.#hashes[slot] = h;
      if (w.length === 1 && w.charCodeAt(0) < 128) this.#asciiIds[w.charCodeAt(0)] = id;
    });
  }

  /** Number of words. */
  get size(): number {
    return this.words.length;
  }

  /** The id of `word`, or -1. */
  id(word: string): number {
    return this.#find(word, 0, word.length, false);
  }

  /** The id of `text.slice(start, end)` with ASCII capitals lowercased, or -1. */
  idOfRun(text: string, start: number, end: number): number {
    return this.#find(text, start, end, true);
  }

  /**
   * The word ids of `text` in order, the words cut exactly as {@linkcode scanWords} cuts them. The
   * hot path of concept matching: a run of ASCII letters and digits is classified, lowercased and
   * hashed in one pass and looked up without building a string.
   */
  scan(text: string, sink: WordIdSink): void {
    const n = text.length;
    let i = 0;
    while (i < n) {
      let c = text.charCodeAt(i);
      if (c >= 128) {
        i = this.#scanSlow(text, i, sink);
        continue;
      }
      const kind = ASCII_CLASS[c]!;
      if (kind < WORD) {
        if (kind === PUNCT) sink.id(this.#asciiIds[c]!, i, i + 1);
        i++;
        continue;
      }
      const start = i;
      let h = FNV_OFFSET;
      for (;;) {
        if (c <= 90 && c >= 65) c += 32;
        h = Math.imul(h ^ c, FNV_PRIME);
        if (++i === n) break;
        c = text.charCodeAt(i);
        if (c >= 128 || ASCII_CLASS[c]! < WORD) break;
      }
      // Same rule as scanWords: a dropped or non-ASCII character may continue the word.
      if (i < n && (c >= 128 || ASCII_CLASS[c] === DROP)) i = this.#scanSlow(text, start, sink);
      else sink.id(this.#probe(text, start, i, h, true), start, i);
    }
  }

  #scanSlow(text: string, from: number, sink: WordIdSink): number {
    this.#target = sink;
    const next = scanSlow(text, from, this.#adapter);
    this.#target = null;
    return next;
  }

  #find(text: string, start: number, end: number, lower: boolean): number {
    return this.#probe(text, start, end, hashUnits(text, start, end, lower), lower);
  }

  #probe(text: string, start: number, end: number, h: number, lower: boolean): number {
    const len = end - start, mask = this.#mask, offsets = this.#offsets;
    for (let slot = mix(h) & mask;; slot = (slot + 1) & mask) {
      const entry = this.#slots[slot]!;
      if (entry === 0) return -1;
      if (this.#hashes[slot] !== h) continue;
      const id = entry - 1, from = offsets[id]!;
      if (offsets[id + 1]! - from !== len) continue;
      if (this.#same(text, start, len, from, lower)) return id;
    }
  }

  #same(text: string, start: number, len: number, from: number, lower: boolean): boolean {
    const chars = this.#chars;
    for (let k = 0; k < len; k++) {
      let c = text.charCodeAt(start + k);
      if (lower && c >= 65 && c <= 90) c += 32;
      if (c !== chars[from + k]) return false;
    }
    return true;
  }
}

/** FNV-1a over UTF-16 units, optionally with ASCII capitals lowercased. */
function hashUnits(text: string, start: number, end: number, lower: boolean): number {
  let h = FNV_OFFSET;
  for (let k = start; k < end; k++) {
    let c = text.charCodeAt(k);
    if (lower && c >= 65 && c <= 90) c += 32;
    h = Math.imul(h ^ c, FNV_PRIME);
  }
  return h;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x7feb352d);
  h ^= h >>> 15;
  return h >>> 0;
}
