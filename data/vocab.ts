/**
 * A WordPiece vocabulary read from a BERT `vocab.txt`: one token per line, the id is the line
 * number counted from 0 (as HuggingFace's `load_vocab` reads it).
 *
 * @example
 * ```ts
 * import { loadVocab } from "./data/vocab.ts";
 *
 * const vocab = await loadVocab("data/bert-base-uncased/vocab.txt");
 * console.log(vocab.size, vocab.special.cls, vocab.id("hello")); // 30522 101 7592
 * ```
 * @module
 */
import { DEFAULT_VOCAB } from "./samples.ts";

/** The prefix of WordPiece continuation pieces. */
export const CONTINUATION = "##";

/** Ids of the five special tokens every BERT vocab must have. */
export interface SpecialTokenIds {
  /** `[PAD]`. */
  pad: number;
  /** `[UNK]`. */
  unk: number;
  /** `[CLS]`. */
  cls: number;
  /** `[SEP]`. */
  sep: number;
  /** `[MASK]`. */
  mask: number;
}

/** The special tokens by the names of {@linkcode SpecialTokenIds}. */
export const SPECIAL_TOKENS: Readonly<Record<keyof SpecialTokenIds, string>> = {
  pad: "[PAD]",
  unk: "[UNK]",
  cls: "[CLS]",
  sep: "[SEP]",
  mask: "[MASK]",
};

/**
 * Token strings by id and the two lookups that WordPiece needs: word-initial pieces, and `##`
 * continuation pieces keyed without their prefix (so matching never concatenates strings).
 */
export class Vocab {
  /** Token strings indexed by id. */
  readonly tokens: readonly string[];
  /** Where the vocab came from (a path), for messages. */
  readonly source: string;
  /** Ids of the special tokens. */
  readonly special: Readonly<SpecialTokenIds>;
  /** Longest word-initial token, in UTF-16 units: no match can be longer. */
  readonly maxInitialLength: number;
  /** Longest continuation token without `##`, in UTF-16 units. */
  readonly maxContinuationLength: number;
  readonly #initial = new Map<string, number>();
  readonly #continuation = new Map<string, number>();

  /**
   * Builds the lookups; a token listed twice keeps its last id, as in HuggingFace.
   * Throws if a special token is missing, naming `source`.
   */
  constructor(tokens: readonly string[], source: string) {
    this.tokens = tokens;
    this.source = source;
    let maxInitial = 0;
    let maxContinuation = 0;
    tokens.forEach((token, id) => {
      this.#initial.set(token, id);
      maxInitial = Math.max(maxInitial, token.length);
      if (token.startsWith(CONTINUATION) && token.length > CONTINUATION.length) {
        const rest = token.slice(CONTINUATION.length);
        this.#continuation.set(rest, id);
        maxContinuation = Math.max(maxContinuation, rest.length);
      }
    });
    this.maxInitialLength = maxInitial;
    this.maxContinuationLength = maxContinuation;
    const missing = Object.values(SPECIAL_TOKENS).filter((t) => !this.#initial.has(t));
    if (missing.length > 0) {
      throw new Error(
        `Cannot load vocab "${source}": expected the special tokens ${
          Object.values(SPECIAL_TOKENS).join(", ")
        }, missing ${missing.join(", ")}`,
      );
    }
    const id = (name: keyof SpecialTokenIds) => this.#initial.get(SPECIAL_TOKENS[name])!;
    this.special = { pad: id("pad"), unk: id("unk"), cls: id("cls"), sep: id("sep"), mask: id("mask") };
  }

  /** Number of ids: every id is below it. */
  get size(): number {
    return this.tokens.length;
  }

  /** The id of a whole token (`"##ing"` included), or undefined. */
  id(token: string): number | undefined {
    return this.#initial.get(token);
  }

  /** The id of the continuation piece `"##" + piece`, or undefined. */
  continuationId(piece: string): number | undefined {
    return this.#continuation.get(piece);
  }

  /** The token string of an id; RangeError outside the vocab. */
  token(id: number): string {
    const token = this.tokens[id];
    if (token === undefined || !Number.isInteger(id)) {
      throw new RangeError(`Cannot find token id ${id} in vocab "${this.source}" (${this.size} ids)`);
    }
    return token;
  }
}

/**
 * Parses the text of a `vocab.txt`: a final newline ends the last token rather than adding an empty
 * one, and a trailing `\r` (CRLF files) is dropped from each line.
 */
export function parseVocab(text: string, source: string): Vocab {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  return new Vocab(lines.map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l)), source);
}

/** Reads and parses a `vocab.txt`; a missing or unreadable file is an Error naming the path. */
export async function loadVocab(path: string = DEFAULT_VOCAB): Promise<Vocab> {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(await Deno.readFile(path));
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "file not found"
      : error instanceof TypeError
      ? "not valid UTF-8 text"
      : (error as Error).message;
    throw new Error(`Cannot load vocab "${path}": ${reason}`);
  }
  return parseVocab(text, path);
}
