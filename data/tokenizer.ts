/**
 * HuggingFace's `BertTokenizer` for uncased BERT (`do_lower_case`, `tokenize_chinese_chars`,
 * accents stripped, greedy WordPiece with `##`, words over 100 characters as [UNK]), with UTF-16
 * offsets into the original text, `[CLS] A [SEP] (B [SEP])` encoding with token types, longest-first
 * truncation and padding, and decoding.
 *
 * Offsets are JavaScript string indices (`text.slice(start, end)`); HuggingFace's Python offsets
 * count code points, so the two differ only after a character outside the BMP (an emoji, say).
 *
 * @example
 * ```ts
 * import { BertTokenizer } from "./data/tokenizer.ts";
 *
 * const tok = await BertTokenizer.load(); // data/bert-base-uncased/vocab.txt
 * tok.encodeIds("i like strawberries"); // [1045, 2066, 13137, 20968]
 * const e = tok.encode("Héllo!", { pair: "Bye", maxLength: 8, padding: true });
 * // e.ids [101, 7592, 999, 102, 9061, 102, 0, 0], e.tokenTypeIds [0, 0, 0, 0, 1, 1, 0, 0]
 * tok.decode(e.ids, { skipSpecialTokens: true }); // "hello ! bye"
 * ```
 * @module
 */
import { BasicScanner } from "./basic_tokenize.ts";
import { DEFAULT_VOCAB } from "./samples.ts";
import { CONTINUATION, loadVocab, type Vocab } from "./vocab.ts";
import { TokenSink } from "./wordpiece.ts";

/** Options of {@linkcode BertTokenizer.encode}. */
export interface EncodeOptions {
  /** Second text of a pair: `[CLS] A [SEP] B [SEP]`, B with token type 1. */
  pair?: string;
  /** Add [CLS] and [SEP] (default true, as HuggingFace's `add_special_tokens`). */
  addSpecialTokens?: boolean;
  /** Truncate (longest first) so the whole encoding, special tokens included, has at most this many ids. */
  maxLength?: number;
  /** Pad with [PAD] up to `maxLength` (which must be set). */
  padding?: boolean;
}

/** One encoded text or pair, every array of the same length. */
export interface Encoding {
  /** Token ids, [CLS]/[SEP]/[PAD] included. */
  ids: number[];
  /** 0 for [CLS], A and its [SEP]; 1 for B and its [SEP]; 0 for padding. */
  tokenTypeIds: number[];
  /** 1 for tokens, 0 for padding. */
  attentionMask: number[];
  /** 1 for the [CLS]/[SEP]/[PAD] that encoding added (not for special tokens written in the text). */
  specialTokensMask: number[];
  /** UTF-16 [start, end) of each token in the text it came from (A or B); [0, 0] for added tokens. */
  offsets: [number, number][];
}

/** Options of {@linkcode BertTokenizer.decode}. */
export interface DecodeOptions {
  /** Leave out [PAD], [UNK], [CLS], [SEP], [MASK] (default false, as HuggingFace). */
  skipSpecialTokens?: boolean;
  /**
   * HuggingFace's `clean_up_tokenization_spaces`: " ." -> ".", " n't" -> "n't" and the like
   * (default false: the plain join, which the hub's bert-base-uncased config turns on).
   */
  cleanUpSpaces?: boolean;
}

/** Text to ids and back, exactly as HuggingFace's uncased `BertTokenizer`. */
export class BertTokenizer {
  /** The vocabulary. */
  readonly vocab: Vocab;
  readonly #scanner: BasicScanner;

  /** A tokenizer over a loaded vocab. */
  constructor(vocab: Vocab) {
    this.vocab = vocab;
    this.#scanner = new BasicScanner(vocab);
  }

  /** Loads `vocab.txt` (default: the shipped bert-base-uncased one). */
  static async load(path: string = DEFAULT_VOCAB): Promise<BertTokenizer> {
    return new BertTokenizer(await loadVocab(path));
  }

  /** Ids of `text` without special tokens or offsets: the fast path, for corpora. */
  encodeIds(text: string): number[] {
    const out = new TokenSink(false);
    this.#scanner.run(text, out);
    return out.ids;
  }

  /** The WordPiece tokens of `text` (`["straw", "##berries"]`), without special tokens. */
  tokenize(text: string): string[] {
    return this.encodeIds(text).map((id) => this.vocab.tokens[id]!);
  }

  /** Encodes a text or a pair, like HuggingFace's `tokenizer(text, pair, truncation=..., padding=...)`. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const { pair, addSpecialTokens = true, maxLength, padding = false } = options;
    const isPair = pair !== undefined;
    const specials = addSpecialTokens ? (isPair ? 3 : 2) : 0;
    if (maxLength !== undefined && !(Number.isInteger(maxLength) && maxLength >= Math.max(specials, 1))) {
      throw new RangeError(
        `Cannot encode: maxLength must be an integer of at least ${Math.max(specials, 1)}, got ${maxLength}`,
      );
    }
    if (padding && maxLength === undefined) throw new RangeError(`Cannot encode: padding needs maxLength`);
    const a = new TokenSink(true);
    this.#scanner.run(text, a);
    const b = new TokenSink(true);
    if (isPair) this.#scanner.run(pair, b);
    if (maxLength !== undefined) {
      const [keepA, keepB] = longestFirst(a.ids.length, b.ids.length, maxLength - specials);
      a.truncate(keepA);
      b.truncate(keepB);
    }
    const e: Encoding = { ids: [], tokenTypeIds: [], attentionMask: [], specialTokensMask: [], offsets: [] };
    const add = (id: number, type: number, special: number, start = 0, end = 0) => {
      e.ids.push(id);
      e.tokenTypeIds.push(type);
      e.attentionMask.push(1);
      e.specialTokensMask.push(special);
      e.offsets.push([start, end]);
    };
    const { cls, sep, pad } = this.vocab.special;
    if (addSpecialTokens) add(cls, 0, 1);
    a.ids.forEach((id, k) => add(id, 0, 0, a.starts[k], a.ends[k]));
    if (addSpecialTokens) add(sep, 0, 1);
    if (isPair) {
      b.ids.forEach((id, k) => add(id, 1, 0, b.starts[k], b.ends[k]));
      if (addSpecialTokens) add(sep, 1, 1);
    }
    if (padding) {
      while (e.ids.length < maxLength!) {
        add(pad, 0, 1);
        e.attentionMask[e.ids.length - 1] = 0;
      }
    }
    return e;
  }

  /**
   * Ids back to text: tokens joined by spaces, `##` pieces glued to the piece before (HuggingFace's
   * `convert_tokens_to_string`). RangeError for an id outside the vocab.
   */
  decode(ids: readonly number[], options: DecodeOptions = {}): string {
    const special = new Set(Object.values(this.vocab.special));
    const tokens = ids.filter((id) => !(options.skipSpecialTokens && special.has(id)))
      .map((id) => this.vocab.token(id));
    const text = tokens.join(" ").replaceAll(` ${CONTINUATION}`, "").trim();
    return options.cleanUpSpaces ? cleanUpTokenizationSpaces(text) : text;
  }
}

/**
 * How many ids of A and B to keep so that they fit in `room`: HuggingFace's `longest_first`
 * removes one id at a time from the longer sequence, from B when they are equally long.
 */
export function longestFirst(lengthA: number, lengthB: number, room: number): [number, number] {
  let remove = Math.max(0, lengthA + lengthB - room);
  let a = lengthA;
  let b = lengthB;
  // First even them out, then take turns: B loses first on ties, so B gets the odd one.
  const fromLonger = Math.min(remove, Math.abs(a - b));
  if (a > b) a -= fromLonger;
  else b -= fromLonger;
  remove -= fromLonger;
  b -= Math.ceil(remove / 2);
  a -= Math.floor(remove / 2);
  return [a, b];
}

/** HuggingFace's `clean_up_tokenization`. */
export function cleanUpTokenizationSpaces(text: string): string {
  return text.replaceAll(" .", ".").replaceAll(" ?", "?").replaceAll(" !", "!").replaceAll(" ,", ",")
    .replaceAll(" ' ", "'").replaceAll(" n't", "n't").replaceAll(" 'm", "'m").replaceAll(" 's", "'s")
    .replaceAll(" 've", "'ve").replaceAll(" 're", "'re");
}
