/**
 * The text-to-ids scanner: HuggingFace's special-token split, `BasicTokenizer` (clean, CJK spacing,
 * lowercase, accent stripping, punctuation split) and WordPiece in one pass over the string, with
 * UTF-16 offsets into the original text. Runs of ASCII letters and digits, most of any English
 * text, go straight to WordPiece as slices; everything else takes the per-character path of
 * `bert_chars.ts`.
 * @module
 */
import { ASCII_CLASS, charInfo, CJK, DROP, PUNCT, SPACE, UPPER, WORD } from "./bert_chars.ts";
import { SPECIAL_TOKENS, type Vocab } from "./vocab.ts";
import { type OffsetMap, type TokenSink, wordPiece } from "./wordpiece.ts";

/** Tokenizes text into a {@linkcode TokenSink}; holds per-vocab tables and reusable buffers. */
export class BasicScanner {
  readonly #vocab: Vocab;
  /** Id of each ASCII character as a one-character token ([UNK] when absent). */
  readonly #asciiIds = new Int32Array(128);
  readonly #special: { text: string; id: number }[];
  // The word being built on the per-character path: its UTF-16 pieces and their origins.
  readonly #parts: string[] = [];
  readonly #map: OffsetMap = { starts: [], ends: [] };

  /** Precomputes the one-character ids and the special tokens of `vocab`. */
  constructor(vocab: Vocab) {
    this.#vocab = vocab;
    for (let c = 0; c < 128; c++) this.#asciiIds[c] = vocab.id(String.fromCharCode(c)) ?? vocab.special.unk;
    this.#special = Object.values(SPECIAL_TOKENS).map((text) => ({ text, id: vocab.id(text)! }));
  }

  /**
   * Appends the ids of `text` (no [CLS]/[SEP] added) to `out`. Like HuggingFace, the literal special
   * tokens `[PAD] [UNK] [CLS] [SEP] [MASK]` (case-sensitive) in the text become their ids.
   */
  run(text: string, out: TokenSink): void {
    let from = 0;
    for (let j = text.indexOf("["); j >= 0; j = text.indexOf("[", j + 1)) {
      const special = this.#special.find((s) => text.startsWith(s.text, j));
      if (!special) continue;
      this.#scan(text, from, j, out);
      out.push(special.id, j, j + special.text.length);
      from = j + special.text.length;
      j = from - 1;
    }
    this.#scan(text, from, text.length, out);
  }

  #scan(text: string, from: number, to: number, out: TokenSink): void {
    const vocab = this.#vocab;
    let i = from;
    while (i < to) {
      let c = text.charCodeAt(i);
      if (c >= 128) {
        i = this.#slow(text, i, to, out);
        continue;
      }
      const kind = ASCII_CLASS[c]!;
      if (kind >= WORD) {
        const start = i;
        let upper = kind === UPPER;
        for (i++; i < to; i++) {
          c = text.charCodeAt(i);
          if (c >= 128) break;
          const k = ASCII_CLASS[c]!;
          if (k < WORD) break;
          if (k === UPPER) upper = true;
        }
        // A dropped or non-ASCII character may continue the word: redo it on the general path.
        if (i < to && (c >= 128 || ASCII_CLASS[c] === DROP)) {
          i = this.#slow(text, start, to, out);
          continue;
        }
        const word = text.slice(start, i);
        wordPiece(vocab, upper ? word.toLowerCase() : word, start, null, out);
      } else {
        if (kind === PUNCT) out.push(this.#asciiIds[c]!, i, i + 1);
        i++;
      }
    }
  }

  /** The general path from `i`: returns where the fast path may resume (after a word boundary). */
  #slow(text: string, i: number, to: number, out: TokenSink): number {
    const parts = this.#parts;
    const { starts, ends } = this.#map;
    const flush = () => {
      if (parts.length === 0) return;
      wordPiece(this.#vocab, parts.join(""), 0, this.#map, out);
      parts.length = starts.length = ends.length = 0;
    };
    const append = (s: string, start: number, end: number) => {
      parts.push(s);
      for (let u = 0; u < s.length; u++) {
        starts.push(start);
        ends.push(end);
      }
    };
    while (i < to) {
      const c = text.charCodeAt(i);
      if (c < 128) {
        const kind = ASCII_CLASS[c]!;
        if (kind >= WORD) append(kind === UPPER ? String.fromCharCode(c + 32) : text[i]!, i, i + 1);
        else if (kind !== DROP) {
          flush();
          if (kind === PUNCT) out.push(this.#asciiIds[c]!, i, i + 1);
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
        if (info.kind === CJK) this.#isolated(info.norm, i, next, out);
        return next;
      }
      if (info.kind === WORD) {
        if (!info.hasPunct) append(info.norm, i, next);
        else {
          for (const piece of info.pieces) {
            if (!piece.punct) append(piece.text, i, next);
            else {
              flush();
              this.#isolated(piece.text, i, next, out);
            }
          }
        }
      }
      i = next;
    }
    flush();
    return i;
  }

  /** A token that is a word of its own (a punctuation mark, a CJK ideograph), from text[start, end). */
  #isolated(norm: string, start: number, end: number, out: TokenSink): void {
    if (norm.length === 0) return;
    const id = this.#vocab.id(norm);
    if (id !== undefined) out.push(id, start, end);
    else {
      const map = { starts: Array(norm.length).fill(start), ends: Array(norm.length).fill(end) };
      wordPiece(this.#vocab, norm, 0, map, out);
    }
  }
}
