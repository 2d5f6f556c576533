/**
 * Greedy longest-match-first WordPiece (HuggingFace `WordpieceTokenizer`): a word is cut into the
 * longest vocab token that starts it, then the longest `##` continuation, and so on; a word with
 * an unmatched remainder, or longer than 100 characters (code points), is one [UNK].
 * @module
 */
import type { Vocab } from "./vocab.ts";

/** HuggingFace's `max_input_chars_per_word`. */
export const MAX_INPUT_CHARS_PER_WORD = 100;

/** Growable output of the tokenizer: ids, and (when `withOffsets`) UTF-16 [start, end) per id. */
export class TokenSink {
  /** Token ids in order. */
  ids: number[] = [];
  /** Start offset of each token in the original text (only when `withOffsets`). */
  starts: number[] = [];
  /** End offset (exclusive) of each token in the original text (only when `withOffsets`). */
  ends: number[] = [];

  /** `withOffsets: false` skips the offsets, for the ids-only path. */
  constructor(readonly withOffsets: boolean) {}

  /** Appends one token. */
  push(id: number, start: number, end: number): void {
    this.ids.push(id);
    if (this.withOffsets) {
      this.starts.push(start);
      this.ends.push(end);
    }
  }

  /** Drops the tokens from index `length` on. */
  truncate(length: number): void {
    this.ids.length = length;
    if (this.withOffsets) {
      this.starts.length = length;
      this.ends.length = length;
    }
  }
}

/**
 * Where each UTF-16 unit of a normalised word came from in the original text; `null` means unit k
 * came from `text[origin + k]` (the common ASCII case).
 */
export interface OffsetMap {
  /** Original start of each unit. */
  starts: number[];
  /** Original end (exclusive) of each unit. */
  ends: number[];
}

function codePointCount(word: string): number {
  let n = word.length;
  for (let i = 0; i < word.length; i++) {
    const c = word.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) n--;
  }
  return n;
}

/**
 * Appends the WordPiece ids of one normalised, non-empty `word` to `out`. The offsets of a piece
 * covering word units [a, b) are [origin + a, origin + b), or from `map` when given.
 */
export function wordPiece(
  vocab: Vocab,
  word: string,
  origin: number,
  map: OffsetMap | null,
  out: TokenSink,
): void {
  const n = word.length;
  if (n > MAX_INPUT_CHARS_PER_WORD && codePointCount(word) > MAX_INPUT_CHARS_PER_WORD) {
    pushUnknown(vocab, n, origin, map, out);
    return;
  }
  const whole = vocab.id(word);
  if (whole !== undefined) {
    if (map) out.push(whole, map.starts[0]!, map.ends[n - 1]!);
    else out.push(whole, origin, origin + n);
    return;
  }
  const mark = out.ids.length;
  // The whole word was tried above, so the first search starts one unit shorter.
  let start = 0;
  let end = Math.min(n - 1, vocab.maxInitialLength);
  while (start < n) {
    let id: number | undefined;
    // A cut inside a surrogate pair yields a lone surrogate, which no token contains: no match.
    for (; end > start; end--) {
      id = start === 0 ? vocab.id(word.slice(0, end)) : vocab.continuationId(word.slice(start, end));
      if (id !== undefined) break;
    }
    if (id === undefined) {
      out.truncate(mark);
      pushUnknown(vocab, n, origin, map, out);
      return;
    }
    if (map) out.push(id, map.starts[start]!, map.ends[end - 1]!);
    else out.push(id, origin + start, origin + end);
    start = end;
    end = Math.min(n, start + vocab.maxContinuationLength);
  }
}

function pushUnknown(vocab: Vocab, n: number, origin: number, map: OffsetMap | null, out: TokenSink): void {
  if (map) out.push(vocab.special.unk, map.starts[0]!, map.ends[n - 1]!);
  else out.push(vocab.special.unk, origin, origin + n);
}
