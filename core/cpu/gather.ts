/**
 * Gathers the rows of the positions the MLM head predicts (the masked tokens) out of the encoder's
 * [tokens, hidden] output, so the vocabulary projection runs on those rows only.
 * @module
 */
import type { Floats, Ints } from "./types.ts";

/** Sizes of a row gather. */
export interface GatherShape {
  /** Number of gathered rows (length of `rows`). */
  count: number;
  /** Row length. */
  cols: number;
  /** Rows of the source tensor. */
  inpRows: number;
}

/**
 * Throws a RangeError naming `kernel` unless rows[0..count) are distinct and in [0, inpRows). The
 * device backward relies on distinct rows: each (row, column) then has a single writer, so it needs
 * no atomics and has no races.
 */
export function checkRows(kernel: string, rows: Ints, { count, inpRows }: GatherShape): void {
  if (rows.length < count) {
    throw new RangeError(`Kernel "${kernel}": rows holds ${rows.length}, needs ${count}`);
  }
  const seen = new Uint8Array(inpRows);
  for (let i = 0; i < count; i++) {
    const r = rows[i]!;
    if (!(r >= 0 && r < inpRows)) {
      throw new RangeError(`Kernel "${kernel}": rows[${i}] = ${r} is outside [0, ${inpRows})`);
    }
    if (seen[r]) throw new RangeError(`Kernel "${kernel}": rows[${i}] = ${r} repeats an earlier row`);
    seen[r] = 1;
  }
}

/** out[i, c] = inp[rows[i], c]. Overwrites `out`. */
export function gatherRowsForward(out: Floats, inp: Floats, rows: Ints, shape: GatherShape): void {
  checkRows("gather_rows_forward", rows, shape);
  const { count, cols } = shape;
  for (let i = 0; i < count; i++) {
    const src = rows[i]! * cols;
    for (let c = 0; c < cols; c++) out[i * cols + c] = inp[src + c]!;
  }
}

/** dinp[rows[i], c] += dout[i, c]. Accumulates into `dinp`; rows of `dinp` not gathered are untouched. */
export function gatherRowsBackward(dinp: Floats, dout: Floats, rows: Ints, shape: GatherShape): void {
  checkRows("gather_rows_backward", rows, shape);
  const { count, cols } = shape;
  for (let i = 0; i < count; i++) {
    const dst = rows[i]! * cols;
    for (let c = 0; c < cols; c++) dinp[dst + c] = dinp[dst + c]! + dout[i * cols + c]!;
  }
}
