/**
 * What BERT's basic tokenizer (HuggingFace `BasicTokenizer`, uncased) does with each character:
 * drop it (NUL, U+FFFD, any Unicode "C*" control/format/unassigned character except tab, LF, CR),
 * treat it as whitespace (tab, LF, CR, "Zs", and U+2028/U+2029 that Python's `str.split` splits
 * on), isolate it (CJK ideographs), or normalise it (lowercase, NFD, drop "Mn" marks) into zero or
 * more characters, each of which is punctuation (ASCII 33-47, 58-64, 91-96, 123-126, or "P*") or
 * part of a word.
 *
 * Every rule applies to one character at a time, which is what makes a per-character cache exact:
 * HuggingFace lowercases character by character before its basic tokenizer runs (so there is no
 * final-sigma context), and NFD followed by dropping "Mn" marks has the same result per character
 * as on the whole word once the marks are gone.
 * @module
 */

/** Class: removed before tokenisation. */
export const DROP = 0;
/** Class: separates words. */
export const SPACE = 1;
/** Class: a token of its own. */
export const PUNCT = 2;
/** Class: a CJK ideograph, a token of its own. */
export const CJK = 3;
/** Class: part of a word (ASCII: a lowercase letter or a digit). */
export const WORD = 4;
/** Class: an ASCII uppercase letter, part of a word once lowercased. */
export const UPPER = 5;

/** The class of each ASCII character, indexed by char code. */
export const ASCII_CLASS: Uint8Array = (() => {
  const t = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if (c === 9 || c === 10 || c === 13 || c === 32) t[c] = SPACE;
    else if (c < 32 || c === 127) t[c] = DROP;
    else if (c >= 65 && c <= 90) t[c] = UPPER;
    else if ((c >= 97 && c <= 122) || (c >= 48 && c <= 57)) t[c] = WORD;
    else t[c] = PUNCT;
  }
  return t;
})();

/** One run of a normalised character: punctuation (one code point) or word characters. */
export interface NormPiece {
  /** The normalised characters. */
  text: string;
  /** True for one punctuation code point. */
  punct: boolean;
}

/** What the basic tokenizer does with one (non-ASCII) code point. */
export interface CharInfo {
  /** What the basic tokenizer does with it. */
  kind: typeof DROP | typeof SPACE | typeof CJK | typeof WORD;
  /** The normalised text (lowercased, NFD, "Mn" dropped); empty for DROP and SPACE. */
  norm: string;
  /** `norm` cut into punctuation code points and runs of word characters (WORD only). */
  pieces: NormPiece[];
  /** True when some piece is punctuation. */
  hasPunct: boolean;
}

const CONTROL = /^\p{C}$/u;
const SPACE_SEPARATOR = /^[\p{Zs}\u2028\u2029]$/u;
const PUNCTUATION = /^\p{P}$/u;
const NONSPACING_MARK = /\p{Mn}/gu;

/** HuggingFace's `_is_punctuation`: the ASCII non-alphanumeric printables, or any "P*" character. */
export function isPunctuation(cp: number): boolean {
  if (cp < 128) return ASCII_CLASS[cp] === PUNCT;
  return PUNCTUATION.test(String.fromCodePoint(cp));
}

/** HuggingFace's `_is_chinese_char`: the CJK Unified Ideograph blocks and their extensions. */
export function isChineseChar(cp: number): boolean {
  return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) || (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) || (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x2f800 && cp <= 0x2fa1f);
}

/** Lowercase, canonical decomposition, then without nonspacing marks ("Mn"). */
export function normalizeChars(text: string): string {
  return text.toLowerCase().normalize("NFD").replace(NONSPACING_MARK, "");
}

function classify(cp: number): CharInfo {
  const ch = String.fromCodePoint(cp);
  const none = (kind: CharInfo["kind"]): CharInfo => ({ kind, norm: "", pieces: [], hasPunct: false });
  if (cp === 0 || cp === 0xfffd || (CONTROL.test(ch) && cp !== 9 && cp !== 10 && cp !== 13)) {
    return none(DROP);
  }
  if (cp === 9 || cp === 10 || cp === 13 || SPACE_SEPARATOR.test(ch)) return none(SPACE);
  const norm = normalizeChars(ch);
  const pieces: NormPiece[] = [];
  for (const c of norm) {
    const punct = isPunctuation(c.codePointAt(0)!);
    const last = pieces.at(-1);
    if (!punct && last && !last.punct) last.text += c;
    else pieces.push({ text: c, punct });
  }
  const kind = isChineseChar(cp) ? CJK : WORD;
  return { kind, norm, pieces, hasPunct: pieces.some((p) => p.punct) };
}

const cache = new Map<number, CharInfo>();

/** The (cached) {@linkcode CharInfo} of a code point; ASCII works too but has a faster table. */
export function charInfo(cp: number): CharInfo {
  let info = cache.get(cp);
  if (info === undefined) {
    info = classify(cp);
    cache.set(cp, info);
  }
  return info;
}
