/**
 * The residual connection: out = a + b, whose gradient flows unchanged into both branches.
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes of a residual add. */
export interface ResidualShape {
  /** Number of elements. */
  n: number;
}

/** out[i] = a[i] + b[i]. Overwrites `out`. */
export function residualForward(out: Floats, a: Floats, b: Floats, { n }: ResidualShape): void {
  for (let i = 0; i < n; i++) out[i] = a[i]! + b[i]!;
}

/** da[i] += dout[i], db[i] += dout[i]. Accumulates into `da` and `db` (which must not alias). */
export function residualBackward(da: Floats, db: Floats, dout: Floats, { n }: ResidualShape): void {
  for (let i = 0; i < n; i++) {
    const g = dout[i]!;
    da[i] = da[i]! + g;
    db[i] = db[i]! + g;
  }
}
