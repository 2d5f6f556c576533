/**
 * Fills a tensor with one f32 value (zeroing gradients each step).
 * @module
 */
import type { Floats } from "./types.ts";

/** Sizes and value of a fill. */
export interface FillShape {
  /** Number of elements. */
  n: number;
  /** The value, rounded to f32 as the device stores it. */
  value: number;
}

/** out[i] = f32(value). Overwrites `out`. */
export function fill(out: Floats, { n, value }: FillShape): void {
  out.fill(Math.fround(value), 0, n);
}
