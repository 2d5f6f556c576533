/**
 * Column sums: the gradient of a bias added to every row. The device version works in two passes
 * through a scratch tensor of {@linkcode biasBackwardScratchSize} elements; this twin ignores it.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of a column sum over a [rows, cols] matrix. */
export interface BiasShape {
  /** Rows summed over (every row the bias was added to). */
  rows: number;
  /** Columns: the bias's length. */
  cols: number;
}

/** How the device splits the rows: `chunks` partial sums per column, each over `rowsPerChunk` rows. */
export interface BiasBackwardPlan {
  /** Partial sums per column that the first pass writes to `scratch`. */
  chunks: number;
  /** Rows each partial sums; the last chunk may have fewer. */
  rowsPerChunk: number;
}

// Enough invocations in the first pass to fill a large GPU; chunks of fewer rows than this would make
// the second pass, not the first, do the work; and the second pass loops at most MAX_CHUNKS partials.
const TARGET_INVOCATIONS = 1 << 17;
const MIN_ROWS_PER_CHUNK = 16;
const MAX_CHUNKS = 1024;

/** The row split of the device's first pass (one invocation per column per chunk). */
export function biasBackwardPlan({ rows, cols }: BiasShape): BiasBackwardPlan {
  const wanted = Math.min(
    Math.floor(TARGET_INVOCATIONS / Math.max(1, cols)),
    MAX_CHUNKS,
    Math.ceil(rows / MIN_ROWS_PER_CHUNK),
  );
  const rowsPerChunk = Math.max(1, Math.ceil(rows / Math.max(1, wanted)));
  return { chunks: Math.max(1, Math.ceil(rows / rowsPerChunk)), rowsPerChunk };
}

/**
 * Elements the device's `scratch` needs for {@linkcode biasBackward} of this shape: at most
 * max(2^17, cols), whatever the number of rows.
 *
 * @example
 * ```ts
 * const scratch = biasBackwardScratchSize({ rows: 4096, cols: 768 }); // 125952
 * ```
 */
export function biasBackwardScratchSize(shape: BiasShape): number {
  return biasBackwardPlan(shape).chunks * shape.cols;
}

/**
 * dbias[c] += sum_r dout[r, c]. Accumulates into `dbias`; `scratch` is unused here (the device needs it).
 *
 * @example
 * ```ts
 * const dbias = new Float64Array(2);
 * biasBackward(dbias, Float64Array.of(1, 2, 3, 4), null, { rows: 2, cols: 2 }); // dbias = [4, 6]
 * ```
 */
export function biasBackward(
  dbias: Floats,
  dout: Floats,
  _scratch: Floats | null,
  { rows, cols }: BiasShape,
): void {
  const sums = new Float64Array(cols); // row by row, for cache locality; float64 even when dbias is f32
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) sums[c] = sums[c]! + dout[r * cols + c]!;
  }
  for (let c = 0; c < cols; c++) dbias[c] = dbias[c]! + sums[c]!;
}
