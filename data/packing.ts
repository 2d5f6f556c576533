/**
 * Sequence packing for masked-language-model pre-training: the token ids of consecutive lines of one
 * document are packed greedily into fixed-length sequences `[CLS] ids... [SEP] [PAD]...`.
 *
 * Rules, in order:
 * - a sequence holds lines of one document only: a new document starts a new sequence;
 * - a line that fits in the room left is appended; one that does not starts a new sequence;
 * - a line longer than a whole sequence (`seqLen - 2` ids) is split: it fills the room left in
 *   the current sequence, then as many new sequences as it needs;
 * - the last sequence of each document is padded with [PAD].
 *
 * Token type ids are all 0 (no next-sentence prediction), and the attention mask is `id !== pad`,
 * so neither is stored.
 *
 * @example
 * ```ts
 * import { packDocument } from "./data/packing.ts";
 *
 * const special = { cls: 101, sep: 102, pad: 0 };
 * const seqs = packDocument([[7, 8], [9, 10, 11]], { seqLen: 6, special });
 * // [[101, 7, 8, 102, 0, 0], [101, 9, 10, 11, 102, 0]]
 * ```
 * @module
 */

/** A tokenizer as packing needs it: text to WordPiece ids, without special tokens. */
export interface TokenizeFn {
  (text: string): number[];
}

/** The ids of the special tokens that packing writes. */
export interface SpecialIds {
  /** Id of [CLS], the first id of every sequence. */
  cls: number;
  /** Id of [SEP], right after the last content id. */
  sep: number;
  /** Id of [PAD], filling the tail; the attention mask is `id !== pad`. */
  pad: number;
}

/** Everything packing and shard writing need from a tokenizer and its vocab. */
export interface PackTokenizer {
  /** Text to ids, special tokens excluded. */
  tokenize: TokenizeFn;
  /** Ids of [CLS], [SEP] and [PAD] in this vocab. */
  special: SpecialIds;
  /** Number of ids in the vocab: every id is below it. */
  vocabSize: number;
}

/** Options of {@linkcode SequencePacker}. */
export interface PackOptions {
  /** Length of every sequence, [CLS] and [SEP] included (at least 3). */
  seqLen: number;
  /** Ids of [CLS], [SEP] and [PAD] to write. */
  special: SpecialIds;
}

/** Running totals of a packer. */
export interface PackStats {
  /** Sequences emitted. */
  sequences: number;
  /** Ids packed, special tokens and padding excluded. */
  tokens: number;
  /** [PAD] ids written. */
  padding: number;
}

/**
 * Packs lines into sequences as they stream in; each finished sequence goes to `emit` as a fresh
 * array that the packer never touches again.
 *
 * @example
 * ```ts
 * const out: Int32Array[] = [];
 * const special = { cls: 101, sep: 102, pad: 0 };
 * const packer = new SequencePacker({ seqLen: 128, special }, (s) => out.push(s));
 * const doc = { id: "12" };
 * packer.add(doc, [1996, 4937]);
 * packer.add(doc, [2003]);
 * packer.flush(); // out: one sequence [101, 1996, 4937, 2003, 102, 0, ...]
 * ```
 */
export class SequencePacker {
  /** Totals so far (a sequence counts once emitted). */
  readonly stats: PackStats = { sequences: 0, tokens: 0, padding: 0 };
  readonly #seqLen: number;
  readonly #special: SpecialIds;
  readonly #emit: (sequence: Int32Array) => void;
  readonly #content: Int32Array;
  #length = 0;
  #doc: unknown = undefined;

  /** Creates a packer; throws a RangeError for a sequence length below 3. */
  constructor(options: PackOptions, emit: (sequence: Int32Array) => void) {
    if (!Number.isInteger(options.seqLen) || options.seqLen < 3) {
      throw new RangeError(`Cannot pack: sequence length must be an integer >= 3, got ${options.seqLen}`);
    }
    this.#seqLen = options.seqLen;
    this.#special = options.special;
    this.#emit = emit;
    this.#content = new Int32Array(options.seqLen - 2);
  }

  /**
   * Adds the ids of one line of document `doc` (any value compared with `===`: a new value starts a
   * new document). Empty lines are ignored.
   */
  add(doc: unknown, ids: ArrayLike<number>): void {
    if (doc !== this.#doc) {
      this.#close();
      this.#doc = doc;
    }
    const room = this.#content.length;
    if (ids.length === 0) return;
    if (this.#length + ids.length <= room) {
      this.#append(ids, 0, ids.length);
      return;
    }
    if (ids.length <= room) {
      this.#close();
      this.#append(ids, 0, ids.length);
      return;
    }
    // Longer than a whole sequence: it must be cut somewhere, so cut where the room runs out.
    let at = 0;
    while (at < ids.length) {
      if (this.#length === room) this.#close();
      const take = Math.min(room - this.#length, ids.length - at);
      this.#append(ids, at, take);
      at += take;
    }
  }

  /** Emits the sequence in progress, padded, and forgets the current document. */
  flush(): void {
    this.#close();
    this.#doc = undefined;
  }

  #append(ids: ArrayLike<number>, from: number, count: number): void {
    for (let i = 0; i < count; i++) this.#content[this.#length + i] = ids[from + i]!;
    this.#length += count;
  }

  #close(): void {
    if (this.#length === 0) return;
    const { cls, sep, pad } = this.#special;
    const seq = new Int32Array(this.#seqLen);
    seq[0] = cls;
    seq.set(this.#content.subarray(0, this.#length), 1);
    seq[this.#length + 1] = sep;
    if (pad !== 0) seq.fill(pad, this.#length + 2);
    this.stats.sequences++;
    this.stats.tokens += this.#length;
    this.stats.padding += this.#seqLen - this.#length - 2;
    this.#length = 0;
    this.#emit(seq);
  }
}

/** Packs the lines (as ids) of one document into sequences; see the module doc for the rules. */
export function packDocument(lines: readonly ArrayLike<number>[], options: PackOptions): Int32Array[] {
  const out: Int32Array[] = [];
  const packer = new SequencePacker(options, (s) => out.push(s));
  for (const ids of lines) packer.add(lines, ids);
  packer.flush();
  return out;
}
