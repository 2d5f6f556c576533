/**
 * BERT's input embedding: word + position + token-type, positions 0..seq-1 in every sequence.
 * The backward scatter-adds into the word table without float atomics: the host sorts the
 * positions by token id once per batch ({@linkcode buildTokenIndex}) and the device gives each
 * (unique token, channel) one owner that sums its segment.
 * @module
 */
import type { Floats, Ints } from "./types.ts";

/** Sizes of the embedding. */
export interface EmbeddingShape {
  /** Sequences in the batch. */
  batch: number;
  /** Tokens per sequence; positions run 0..seq-1 in each. */
  seq: number;
  /** Width of every table row and output row. */
  hidden: number;
  /** Rows of the word table. */
  vocab: number;
  /** Rows of the position table; seq must not exceed it. */
  maxPositions: number;
  /** Rows of the token-type table. */
  typeVocab: number;
}

/** Sizes of the embedding backward: also the number of distinct ids in the batch. */
export interface EmbeddingBackwardShape extends EmbeddingShape {
  /** `tokens.length` of the {@linkcode TokenIndex}. */
  uniqueTokens: number;
}

/** The positions of a batch grouped by token id, for the race-free word-table gradient. */
export interface TokenIndex {
  /** Positions (b * seq + t) sorted by id, ties in position order. */
  order: Int32Array;
  /** order[starts[u] .. starts[u + 1]) are the positions of tokens[u]; tokens.length + 1 entries. */
  starts: Int32Array;
  /** The distinct ids, ascending. */
  tokens: Int32Array;
}

/**
 * Groups the positions of `ids` by id: a stable counting sort over the distinct ids.
 *
 * @example
 * ```ts
 * const { order, starts, tokens } = buildTokenIndex(Int32Array.of(5, 2, 5));
 * // order = [1, 0, 2], starts = [0, 1, 3], tokens = [2, 5]
 * ```
 */
export function buildTokenIndex(ids: Ints): TokenIndex {
  const n = ids.length;
  const tokens = Int32Array.from(new Set(ids)).sort();
  const slot = new Map<number, number>();
  tokens.forEach((id, u) => slot.set(id, u));
  const starts = new Int32Array(tokens.length + 1);
  for (let i = 0; i < n; i++) starts[slot.get(ids[i]!)! + 1]!++;
  for (let u = 0; u < tokens.length; u++) starts[u + 1] = starts[u + 1]! + starts[u]!;
  const next = starts.slice(0, tokens.length);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[next[slot.get(ids[i]!)!]!++] = i;
  return { order, starts, tokens };
}

/** Throws a RangeError naming `kernel`, the position and the id unless every id and type is in range. */
export function checkEmbeddingIds(kernel: string, ids: Ints, typeIds: Ints, shape: EmbeddingShape): void {
  const { batch, seq, vocab, maxPositions, typeVocab } = shape;
  if (seq > maxPositions) {
    throw new RangeError(`Kernel "${kernel}": seq ${seq} exceeds maxPositions ${maxPositions}`);
  }
  const n = batch * seq;
  if (ids.length < n || typeIds.length < n) {
    throw new RangeError(`Kernel "${kernel}": ids (${ids.length}) and typeIds (${typeIds.length}) need ${n}`);
  }
  for (let i = 0; i < n; i++) {
    const id = ids[i]!;
    const type = typeIds[i]!;
    const where = `at position ${i} (batch ${Math.floor(i / seq)}, t ${i % seq})`;
    if (!(id >= 0 && id < vocab)) {
      throw new RangeError(`Kernel "${kernel}": id ${id} ${where} is outside [0, ${vocab})`);
    }
    if (!(type >= 0 && type < typeVocab)) {
      throw new RangeError(`Kernel "${kernel}": token type ${type} ${where} is outside [0, ${typeVocab})`);
    }
  }
}

/**
 * out[b * seq + t, c] = wte[ids[b, t], c] + wpe[t, c] + wtt[typeIds[b, t], c]. Overwrites `out`
 * ([batch * seq, hidden]). Tables: wte [vocab, hidden], wpe [maxPositions, hidden], wtt [typeVocab, hidden].
 */
export function embeddingForward(
  out: Floats,
  ids: Ints,
  typeIds: Ints,
  wte: Floats,
  wpe: Floats,
  wtt: Floats,
  shape: EmbeddingShape,
): void {
  checkEmbeddingIds("embedding_forward", ids, typeIds, shape);
  const { batch, seq, hidden } = shape;
  for (let row = 0; row < batch * seq; row++) {
    const w = ids[row]! * hidden;
    const p = (row % seq) * hidden;
    const k = typeIds[row]! * hidden;
    for (let c = 0; c < hidden; c++) out[row * hidden + c] = wte[w + c]! + wpe[p + c]! + wtt[k + c]!;
  }
}

/** Throws a RangeError naming `kernel` unless (order, starts, tokens) is the index of `ids`. */
export function checkTokenIndex(
  kernel: string,
  ids: Ints,
  order: Ints,
  starts: Ints,
  tokens: Ints,
  { batch, seq, uniqueTokens }: EmbeddingBackwardShape,
): void {
  const n = batch * seq;
  const fail = (why: string) => {
    throw new RangeError(`Kernel "${kernel}": the token index does not match ids: ${why}`);
  };
  if (tokens.length < uniqueTokens || starts.length < uniqueTokens + 1 || order.length < n) {
    fail(
      `sizes tokens ${tokens.length}, starts ${starts.length}, order ${order.length} for ${uniqueTokens} tokens`,
    );
  }
  if (starts[0] !== 0 || starts[uniqueTokens] !== n) fail(`starts must run from 0 to ${n}`);
  const seen = new Uint8Array(n);
  for (let u = 0; u < uniqueTokens; u++) {
    if (u > 0 && tokens[u]! <= tokens[u - 1]!) fail(`tokens are not strictly ascending at ${u}`);
    if (starts[u + 1]! < starts[u]!) fail(`starts decrease at ${u}`);
    for (let k = starts[u]!; k < starts[u + 1]!; k++) {
      const i = order[k]!;
      if (!(i >= 0 && i < n) || seen[i]) fail(`order[${k}] = ${i} is out of range or repeated`);
      seen[i] = 1;
      if (ids[i] !== tokens[u]) fail(`position ${i} has id ${ids[i]}, filed under ${tokens[u]}`);
    }
  }
}

/**
 * dwte[v] += sum of dout rows whose id is v; dwpe[t] += sum over b of dout[b, t]; dwtt[k] += sum of
 * dout rows whose type is k. Accumulates into all three. Computed from `ids` directly (sums in
 * float64); the index (order, starts, tokens) is only checked against `ids`.
 */
export function embeddingBackward(
  dwte: Floats,
  dwpe: Floats,
  dwtt: Floats,
  dout: Floats,
  ids: Ints,
  typeIds: Ints,
  order: Ints,
  starts: Ints,
  tokens: Ints,
  shape: EmbeddingBackwardShape,
): void {
  checkEmbeddingIds("embedding_backward", ids, typeIds, shape);
  checkTokenIndex("embedding_backward", ids, order, starts, tokens, shape);
  const { batch, seq, hidden, typeVocab } = shape;
  const n = batch * seq;
  const words = new Map<number, Float64Array>();
  const positions = new Float64Array(seq * hidden);
  const types = new Float64Array(typeVocab * hidden);
  for (let row = 0; row < n; row++) {
    const id = ids[row]!;
    let w = words.get(id);
    if (!w) words.set(id, w = new Float64Array(hidden));
    const p = (row % seq) * hidden;
    const k = typeIds[row]! * hidden;
    for (let c = 0; c < hidden; c++) {
      const g = dout[row * hidden + c]!;
      w[c] = w[c]! + g;
      positions[p + c] = positions[p + c]! + g;
      types[k + c] = types[k + c]! + g;
    }
  }
  for (const [id, w] of words) addInto(dwte, id * hidden, w);
  addInto(dwpe, 0, positions);
  addInto(dwtt, 0, types);
}

function addInto(dst: Floats, at: number, src: Float64Array): void {
  for (let i = 0; i < src.length; i++) dst[at + i] = dst[at + i]! + src[i]!;
}
