/**
 * What a lane of the concentration scan is (plain data, so a worker can run it) and what it
 * returns: the types the scan and the scorers share.
 * @module
 */
import type { UnitOptions } from "./units.ts";

/** The i-th of n parts of the corpus: the files whose index modulo n is i (0-based). */
export interface ShardSpec {
  /** Which part, in [0, count). */
  index: number;
  /** Number of parts the corpus is cut into, at least 1. */
  count: number;
}

/** Keep the units above alpha, or fill a byte budget with the highest-scoring units. */
export type Selection = { budget: number; alpha: null } | { budget: null; alpha: number };

/** What a lane scans: plain data, so that a worker can run it. */
export interface LaneSpec {
  /** Every corpus file, in corpus order. */
  files: readonly string[];
  /** Indices into `files` of this lane's files, increasing. */
  fileIndices: readonly number[];
  /** How the files are cut into units. */
  units: UnitOptions;
  /** Seed of the random control's unit keys (`randomKey`). */
  seed: number;
  /** Selection score = round(f(t) * scale): 1 for counts, 10^4 for per-token scores. */
  scale: number;
  /** Alpha or budget: decides which units may still be selected and so are written as candidates. */
  selection: Selection;
  /** Where the candidates go. */
  candidates: string;
  /** Text bytes per scoring batch (default 256 KiB). */
  batchBytes?: number;
}

/** What a lane saw and kept, as plain data. */
export interface LaneResult {
  /** Units scored. */
  unitsSeen: number;
  /** Unit bytes seen (text plus one newline per unit). */
  bytesSeen: number;
  /** Decompressed corpus bytes read, markup included. */
  textBytes: number;
  /** `[score, units, bytes]`, increasing score. */
  histogram: [number, number, number][];
  /** Bytes per random-key bucket. */
  keyBytes: Float64Array;
  /** `[score, position]`: the first unit of each score that the running budget cut dropped. */
  firstDrop: [number, number][];
  /** The lane's candidate file and the corpus files it covers. */
  candidates: { file: string; fileIndices: number[]; records: number; bytes: number };
  /** Wall-clock time of the lane's scan. */
  seconds: number;
}
