/**
 * Training batches as a pure function of the step: which sequences (a seeded shuffle per epoch),
 * and how they are masked (keyed by seed, step and sequence). Resuming at step k therefore sees
 * exactly the data and masks an uninterrupted run sees, and nothing is replayed.
 *
 * The shuffle is by blocks so memory stays bounded whatever the shard size: each epoch permutes
 * the order of blocks of {@linkcode BLOCK} sequences and the order inside each block; one block is
 * held in memory at a time (16 MiB at 128 tokens of 2 bytes).
 * @module
 */
import type { ShardIds } from "../data/shards.ts";
import { ShardReader } from "../data/shards.ts";
import type { ConceptMatcher, TokenSpan } from "../data/concept_matcher.ts";
import type { Vocab } from "../data/vocab.ts";
import { Rng } from "../util/rng.ts";
import { maskBatch, type MaskedBatch } from "../masking/batch.ts";
import type { Masker } from "../masking/types.ts";

/** Sequences per shuffle block. */
export const BLOCK = 65536;

// Keys of the shuffle streams, apart from any masking key (which uses small step numbers).
const ORDER_STREAM = 0x5eed0001;
const BLOCK_STREAM = 0x5eed0002;

/** Where the `index`-th sequence of an epoch's order is in the shard, for `count` sequences. */
export class EpochOrder {
  /** Sequences in the shard: the length of one epoch. */
  readonly count: number;
  /** Seeds the block and in-block shuffles of every epoch. */
  readonly seed: number;
  #epoch = -1;
  #blocks: Uint32Array = new Uint32Array(0);
  #starts: Float64Array = new Float64Array(0);
  #inner = new Map<number, Uint32Array>();

  /** The order of `count` sequences (a positive safe integer, else RangeError) for `seed`. */
  constructor(count: number, seed: number) {
    if (!Number.isSafeInteger(count) || count <= 0) throw new RangeError(`Cannot order ${count} sequences`);
    this.count = count;
    this.seed = seed;
  }

  /** The shard index of the `index`-th sequence (global over epochs: index / count is the epoch). */
  at(index: number): number {
    const epoch = Math.floor(index / this.count);
    let i = index - epoch * this.count;
    this.#setEpoch(epoch);
    // Blocks keep their sizes, so find the permuted block holding position i.
    let lo = 0, hi = this.#blocks.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.#starts[mid]! <= i) lo = mid;
      else hi = mid - 1;
    }
    const block = this.#blocks[lo]!;
    i -= this.#starts[lo]!;
    return block * BLOCK + this.#innerOrder(epoch, block)[i]!;
  }

  #setEpoch(epoch: number): void {
    if (epoch === this.#epoch) return;
    this.#epoch = epoch;
    this.#inner.clear();
    const n = Math.ceil(this.count / BLOCK);
    this.#blocks = new Rng(this.seed ^ ORDER_STREAM, epoch).shuffle(
      Uint32Array.from({ length: n }, (_, b) => b),
    );
    this.#starts = new Float64Array(n);
    let at = 0;
    this.#blocks.forEach((b, k) => {
      this.#starts[k] = at;
      at += this.#blockSize(b);
    });
  }

  #blockSize(block: number): number {
    return Math.min(BLOCK, this.count - block * BLOCK);
  }

  #innerOrder(epoch: number, block: number): Uint32Array {
    let order = this.#inner.get(block);
    if (!order) {
      // Only the blocks in use stay: order is sequential, so at most two at a time.
      if (this.#inner.size >= 2) this.#inner.delete(this.#inner.keys().next().value!);
      order = Uint32Array.from({ length: this.#blockSize(block) }, (_, i) => i);
      new Rng((this.seed ^ BLOCK_STREAM) + block, epoch).shuffle(order);
      this.#inner.set(block, order);
    }
    return order;
  }
}

/** Options of {@linkcode BatchSource.open}. */
export interface BatchSourceOptions {
  /** Sequences per optimizer step (all micro-batches). */
  batch: number;
  /** Sequences per micro-batch. */
  microBatch: number;
  /** Keys both the epoch shuffles and the masks. */
  seed: number;
  /** The masking strategy, bound to its options. */
  masker: Masker;
  /** The vocab the shard was made with (for concept matching). */
  vocab: Vocab;
  /** Finds concept spans for the concept strategies; null for the others. */
  matcher: ConceptMatcher | null;
}

/** The masked micro-batches of a shard, by (step, micro-batch). */
export class BatchSource {
  /** The open train shard; {@linkcode BatchSource.close} closes it. */
  readonly reader: ShardReader;
  /** The shard index of each sequence of the run, epoch after epoch. */
  readonly order: EpochOrder;
  /** What it was opened with. */
  readonly options: BatchSourceOptions;
  #cache = new Map<number, ShardIds>();

  private constructor(reader: ShardReader, options: BatchSourceOptions) {
    this.reader = reader;
    this.options = options;
    this.order = new EpochOrder(reader.header.sequences, options.seed);
  }

  /** Opens the train shard. */
  static async open(path: string, options: BatchSourceOptions): Promise<BatchSource> {
    return new BatchSource(await ShardReader.open(path), options);
  }

  /** Sequences in the shard. */
  get sequences(): number {
    return this.reader.header.sequences;
  }

  /** Tokens per sequence. */
  get seqLen(): number {
    return this.reader.header.seqLen;
  }

  /** Micro-batch `micro` (0-based) of optimizer step `step` (1-based). */
  async batch(step: number, micro: number): Promise<MaskedBatch> {
    const { batch, microBatch, seed, masker, vocab, matcher } = this.options;
    const first = (step - 1) * batch + micro * microBatch;
    const sequences: Int32Array[] = [];
    for (let j = 0; j < microBatch; j++) sequences.push(await this.#sequence(this.order.at(first + j)));
    const matches: TokenSpan[][] | undefined = matcher
      ? sequences.map((s) => matcher.matchTokens(s, vocab))
      : undefined;
    return maskBatch(masker, sequences, { seed, step, firstSequence: micro * microBatch, matches });
  }

  async #sequence(index: number): Promise<Int32Array> {
    const block = Math.floor(index / BLOCK);
    let ids = this.#cache.get(block);
    if (!ids) {
      if (this.#cache.size >= 2) this.#cache.delete(this.#cache.keys().next().value!);
      const first = block * BLOCK;
      ids = await this.reader.read(first, Math.min(BLOCK, this.sequences - first));
      this.#cache.set(block, ids);
    }
    const T = this.seqLen;
    const at = (index - block * BLOCK) * T;
    return Int32Array.from(ids.subarray(at, at + T));
  }

  /** Closes the shard. */
  close(): void {
    this.reader.close();
  }
}
